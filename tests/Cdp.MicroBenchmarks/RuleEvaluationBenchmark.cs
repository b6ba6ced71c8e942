using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Cdp.Activation.Audiences.Rules;
using Cdp.Contracts.Profiles;

namespace Cdp.MicroBenchmarks;

/// Evaluating an audience rule against a profile snapshot, as Activation does for every audience on every change:
/// a trait comparison, an event count in a window, and both combined with a negation.
[MemoryDiagnoser]
public class RuleEvaluationBenchmark
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private AudienceRule _trait = null!;
    private AudienceRule _windowedEvent = null!;
    private AudienceRule _combined = null!;
    private ProfileSnapshot _profile = null!;

    [GlobalSetup]
    public void Setup()
    {
        AudienceRule Parse(string json) => AudienceRuleParser.Parse(JsonDocument.Parse(json).RootElement);
        _trait = Parse("""{"trait":"plan","op":"eq","value":"pro"}""");
        _windowedEvent = Parse("""{"event":"Order Completed","op":"gte","value":2,"within_days":30}""");
        _combined = Parse("""{"all":[{"trait":"plan","op":"eq","value":"pro"},{"event":"Order Completed","op":"gte","value":2,"within_days":30},{"not":{"trait":"country","op":"eq","value":"NO"}}]}""");
        var days = Enumerable.Range(0, 40).ToDictionary(d => Now.AddDays(-d).ToString("yyyy-MM-dd"), d => d % 3);
        _profile = new ProfileSnapshot(
            new Dictionary<string, IReadOnlyList<string>> { ["user_id"] = ["ann"] },
            new Dictionary<string, JsonElement> { ["plan"] = JsonSerializer.SerializeToElement("pro"), ["country"] = JsonSerializer.SerializeToElement("SE") },
            120, Now.AddDays(-60), Now,
            new Dictionary<string, long> { ["Order Completed"] = 26 },
            new Dictionary<string, IReadOnlyDictionary<string, int>> { ["Order Completed"] = days });
    }

    [Benchmark]
    public bool Trait() => _trait.Matches(_profile, Now);

    [Benchmark]
    public bool EventInWindow() => _windowedEvent.Matches(_profile, Now);

    [Benchmark]
    public bool Combined() => _combined.Matches(_profile, Now);
}

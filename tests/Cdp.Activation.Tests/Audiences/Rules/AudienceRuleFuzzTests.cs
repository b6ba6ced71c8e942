using System.Text;
using System.Text.Json;
using Cdp.Activation.Audiences.Rules;
using static Cdp.Activation.Tests.Audiences.Rules.Snapshots;

namespace Cdp.Activation.Tests.Audiences.Rules;

/// Generated rules, valid and not: parsing never throws, and whatever parses evaluates without throwing
/// against profiles whose traits hold every kind of JSON value.
public class AudienceRuleFuzzTests
{
    private static readonly string[] Keys = ["all", "any", "not", "trait", "computed", "event", "op", "value", "within_days",
        "last_seen_within_days", "has_identifier", "data_party", "source", "x"];
    private static readonly string[] Ops = ["eq", "neq", "gt", "gte", "lt", "lte", "contains", "starts_with", "in", "exists", "not_exists",
        "within_last_days", "within_next_days", "never", "ever", "bogus"];

    private static string Value(Random r, int depth) => r.Next(9) switch
    {
        0 => "null",
        1 => r.Next(2) == 0 ? "true" : "false",
        2 => (r.NextDouble() * 200 - 100).ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        3 => r.Next(-5, 100).ToString(),
        4 => "\"2026-11-" + r.Next(1, 29).ToString("D2") + "T00:00:00Z\"",
        5 => "\"" + Ops[r.Next(Ops.Length)] + "\"",
        6 => "\"plan\"",
        7 when depth < 4 => "[" + string.Join(",", Enumerable.Range(0, r.Next(3)).Select(_ => Value(r, depth + 1))) + "]",
        _ when depth < 4 => Node(r, depth + 1),
        _ => "1e400",
    };

    private static string Node(Random r, int depth)
    {
        var fields = Enumerable.Range(0, 1 + r.Next(4)).Select(_ => Keys[r.Next(Keys.Length)]).Distinct();
        return "{" + string.Join(",", fields.Select(k => $"\"{k}\":" + (k == "op" && r.Next(4) > 0 ? $"\"{Ops[r.Next(Ops.Length)]}\"" : Value(r, depth)))) + "}";
    }

    [Fact]
    public void Given_ten_thousand_generated_rules_when_parsed_and_evaluated_then_nothing_throws()
    {
        var random = new Random(42);
        var profiles = new[]
        {
            With(),
            With("""{"plan":"pro","x":[1,"a",null,{"b":2}],"n":1e300,"d":"2026-11-27T00:00:00Z","o":{"p":{"q":true}}}""",
                """{"plan":-0.5}""", daily: new() { ["plan"] = new Dictionary<string, int> { ["not-a-day"] = 3, ["2026-11-28"] = int.MaxValue } },
                counts: new() { ["plan"] = long.MaxValue }),
        };
        var parsed = 0;
        for (var i = 0; i < 10_000; i++)
        {
            var json = Node(random, 0);
            using var document = JsonDocument.Parse(json);
            if (!AudienceRuleParser.TryParse(document.RootElement, out var rule, out var errors))
            {
                Assert.NotEmpty(errors);
                Assert.All(errors, e => Assert.StartsWith("$", e.Path));
                continue;
            }
            parsed++;
            foreach (var profile in profiles)
            {
                _ = rule!.Matches(profile, Now);
                _ = rule.IsTimeDependent;
            }
        }
        Assert.InRange(parsed, 50, 9_950);
    }
}

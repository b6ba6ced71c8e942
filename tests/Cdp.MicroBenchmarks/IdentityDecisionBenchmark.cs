using BenchmarkDotNet.Attributes;
using Cdp.Contracts;
using Cdp.IdentityResolution.Identities;
using Cdp.IdentityResolution.Identities.Resolving;
using Cdp.IdentityResolution.Identities.Rules;

namespace Cdp.MicroBenchmarks;

/// The identity decision for an event whose identifiers are held by two profiles (a merge), and for one whose
/// identifiers are all new (a new profile).
[MemoryDiagnoser]
public class IdentityDecisionBenchmark
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly IdentityOptions _options = new();
    private List<Identifier> _linking = [];
    private Dictionary<string, IdentityProfile> _owners = [];
    private List<Identifier> _fresh = [];

    [GlobalSetup]
    public void Setup()
    {
        var phone = new IdentityProfile { Id = "p1", CreatedAt = Now.AddDays(-2), Identifiers = [new("anonymous_id", "phone", Now.AddDays(-2))] };
        var laptop = new IdentityProfile
        {
            Id = "p2", CreatedAt = Now.AddDays(-1),
            Identifiers = [new("anonymous_id", "laptop", Now.AddDays(-1)), new("email", "ann@example.com", Now.AddDays(-1))],
        };
        _linking = [new("email", "ann@example.com"), new("anonymous_id", "phone")];
        _owners = new() { ["email:ann@example.com"] = laptop, ["anonymous_id:phone"] = phone };
        _fresh = [new("user_id", "bob"), new("email", "bob@example.com"), new("anonymous_id", "tablet")];
    }

    [Benchmark]
    public IdentityDecision Merge() => IdentityDecision.Decide("identify", _linking, _owners, _options, Now, "p3");

    [Benchmark]
    public IdentityDecision NewProfile() => IdentityDecision.Decide("identify", _fresh, new Dictionary<string, IdentityProfile>(), _options, Now, "p4");
}

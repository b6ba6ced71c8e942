using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Cdp.ProfileProjection.Profiles;

namespace Cdp.MicroBenchmarks;

/// Applying one customer event to a profile, as the inline projection does on every append: an identify with
/// traits, and a tracked order that feeds the computed traits and daily counts.
[MemoryDiagnoser]
public class ProfileApplyBenchmark
{
    private static readonly IReadOnlyList<ComputedTraitDefinition> Computed =
    [
        new() { Name = "lifetime_revenue", Event = "Order Completed", Property = "revenue", Aggregate = "sum" },
        new() { Name = "orders", Event = "Order Completed", Aggregate = "count" },
        new() { Name = "largest_order", Event = "Order Completed", Property = "revenue", Aggregate = "max" },
    ];

    private readonly CustomerProfile _profile = new() { Id = "p1" };
    private Identified _identified = null!;
    private Tracked _tracked = null!;

    [GlobalSetup]
    public void Setup()
    {
        var provenance = new Provenance("m1", "web", "first", DateTimeOffset.UtcNow, null);
        _identified = new Identified("p1", JsonSerializer.SerializeToElement(new { plan = "pro", email = "ann@example.com", city = "Oslo" }), provenance, DateTimeOffset.UtcNow);
        _tracked = new Tracked("p1", "Order Completed", JsonSerializer.SerializeToElement(new { revenue = 19.9, sku = "sku-1" }), provenance, DateTimeOffset.UtcNow);
    }

    [Benchmark]
    public void Identify() => _profile.Record(_identified, Computed);

    [Benchmark]
    public void TrackOrder() => _profile.Record(_tracked, Computed);
}

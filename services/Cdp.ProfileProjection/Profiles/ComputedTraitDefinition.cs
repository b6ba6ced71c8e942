namespace Cdp.ProfileProjection.Profiles;

/// A trait computed from events, declared in configuration (Cdp:Profiles:ComputedTraits), e.g.
/// lifetime_revenue = sum of "revenue" over "Order Completed".
public sealed class ComputedTraitDefinition
{
    public static readonly string[] Aggregates = ["count", "sum", "min", "max", "first", "last"];

    public string Name { get; set; } = "";
    /// The track event name the trait is computed over.
    public string Event { get; set; } = "";
    /// The property of that event (not needed for count).
    public string? Property { get; set; }
    /// count, sum, min, max, first or last.
    public string Aggregate { get; set; } = "count";
}

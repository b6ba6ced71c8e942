using System.Text.Json;
using System.Text.Json.Nodes;
using Cdp.ProfileProjection.Profiles;

namespace Cdp.ProfileProjection.Tests.Profiles;

/// Random but seeded histories of one person, and a canonical form to compare profiles by.
public static class ProfileHistories
{
    public static readonly IReadOnlyList<ComputedTraitDefinition> Computed =
    [
        new() { Name = "revenue", Event = "Order Completed", Property = "revenue", Aggregate = "sum" },
        new() { Name = "orders", Event = "Order Completed", Aggregate = "count" },
        new() { Name = "largest", Event = "Order Completed", Property = "revenue", Aggregate = "max" },
        new() { Name = "smallest", Event = "Order Completed", Property = "revenue", Aggregate = "min" },
        new() { Name = "first_plan", Event = "Subscribed", Property = "plan", Aggregate = "first" },
        new() { Name = "last_plan", Event = "Subscribed", Property = "plan", Aggregate = "last" },
    ];

    public static List<object> Generate(int seed, int count, string profileId = "p1")
    {
        var random = new Random(seed);
        var start = new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
        var sources = new[] { ("web", "first"), ("crm", "second"), ("vendor", "third") };
        var events = new List<object>();
        for (var i = 0; i < count; i++)
        {
            // Some events share a timestamp, so ties must break by message id.
            var at = start.AddHours(random.Next(0, 24 * 150));
            var (source, party) = sources[random.Next(sources.Length)];
            var provenance = new Provenance($"m{seed}-{i:D4}", source, party, at, null);
            events.Add(random.Next(6) switch
            {
                0 => new Identified(profileId, Json(new { plan = Pick(random, "free", "pro", null), city = Pick(random, "Oslo", "Lima") }), provenance, at),
                1 => new Tracked(profileId, "Order Completed", Json(new { revenue = Math.Round(random.NextDouble() * 100, 2) }), provenance, at),
                2 => new Tracked(profileId, "Subscribed", Json(new { plan = Pick(random, "basic", "team", "enterprise") }), provenance, at),
                3 => new PageViewed(profileId, "Home", null, provenance, at),
                4 => new ScreenViewed(profileId, "Main", null, provenance, at),
                _ => new GroupJoined(profileId, $"g{random.Next(3)}", null, provenance, at),
            });
        }
        return events;
    }

    public static CustomerProfile Apply(IEnumerable<object> events, string id = "p1")
    {
        var profile = new CustomerProfile { Id = id };
        foreach (var e in events) profile.Record(e, Computed);
        return profile;
    }

    /// The profile as JSON with object keys and string arrays sorted, so arrival order does not show.
    public static string Canonical(CustomerProfile profile) =>
        Sorted(JsonSerializer.SerializeToNode(profile))!.ToJsonString();

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value?.DeepClone())))),
        JsonArray a when a.All(x => x is JsonValue v && v.GetValueKind() == JsonValueKind.String) =>
            new JsonArray([.. a.Select(x => x!.GetValue<string>()).Order(StringComparer.Ordinal).Select(x => (JsonNode)JsonValue.Create(x)!)]),
        JsonArray a => new JsonArray([.. a.Select(x => Sorted(x?.DeepClone()))]),
        _ => node?.DeepClone(),
    };

    private static JsonElement Json(object value) => JsonSerializer.SerializeToElement(value);

    private static string? Pick(Random random, params string?[] values) => values[random.Next(values.Length)];
}

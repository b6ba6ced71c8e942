using System.Text.Json;
using Cdp.Contracts.Profiles;

namespace Cdp.Activation.Tests.Audiences.Rules;

/// Profile snapshots for rule tests, built from a little JSON.
public static class Snapshots
{
    public static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    public static ProfileSnapshot With(string traitsJson = "{}", string computedJson = "{}",
        Dictionary<string, IReadOnlyDictionary<string, int>>? daily = null, Dictionary<string, long>? counts = null,
        DateTimeOffset? lastSeen = null, Dictionary<string, IReadOnlyList<string>>? identifiers = null,
        string[]? sources = null, string[]? parties = null) => new(
        identifiers ?? new Dictionary<string, IReadOnlyList<string>> { ["user_id"] = ["u1"] },
        JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(traitsJson)!,
        1,
        Now.AddDays(-100),
        lastSeen ?? Now,
        counts ?? [],
        daily ?? [],
        JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(computedJson)!,
        sources ?? ["web"],
        parties ?? ["first"]);

    public static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();
}

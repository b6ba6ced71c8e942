using System.Text.Json;
using Cdp.Contracts.Collector;

namespace Cdp.Testing;

/// <summary>Builds collected events for tests that start past the Collector.</summary>
public static class Events
{
    public static EventCollected Collected(string type = "track", string? userId = null, string? anonymousId = null, string? eventName = "Tested",
        string? messageId = null, DateTimeOffset? timestamp = null, string? traits = null, string source = "dev", string dataParty = "first")
    {
        var id = messageId ?? Guid.NewGuid().ToString();
        var at = timestamp ?? DateTimeOffset.UtcNow;
        var message = new Dictionary<string, object?>
        {
            ["type"] = type, ["messageId"] = id, ["userId"] = userId, ["anonymousId"] = anonymousId,
            ["event"] = type == "track" ? eventName : null, ["timestamp"] = at,
            ["traits"] = traits is null ? null : JsonDocument.Parse(traits).RootElement,
        };
        return new EventCollected(id, type, userId, anonymousId, type == "track" ? eventName : null, at, DateTimeOffset.UtcNow, source, dataParty,
            JsonSerializer.SerializeToElement(message.Where(kv => kv.Value is not null).ToDictionary()));
    }
}

using System.Text.Json;
using Cdp.Contracts;
using Cdp.Contracts.Collector;

namespace Cdp.ProfileProjection.Profiles.Recording;

/// Turns a collected Segment event into the profile's domain event.
public static class CustomerEventFactory
{
    /// <param name="linked">The event's identifiers that its profile does not hold yet, if any.</param>
    public static object From(string profileId, EventCollected e, IReadOnlyList<Identifier>? linked = null)
    {
        var message = e.Message;
        var provenance = new Provenance(e.MessageId, e.SourceId, e.DataParty, e.ReceivedAt, Property(message, "context"), linked is { Count: > 0 } ? linked : null);
        return e.Type switch
        {
            "identify" => new Identified(profileId, Property(message, "traits"), provenance, e.Timestamp),
            "track" => new Tracked(profileId, e.Event ?? "", Property(message, "properties"), provenance, e.Timestamp),
            "page" => new PageViewed(profileId, Text(message, "name"), Property(message, "properties"), provenance, e.Timestamp),
            "screen" => new ScreenViewed(profileId, Text(message, "name"), Property(message, "properties"), provenance, e.Timestamp),
            "group" => new GroupJoined(profileId, Text(message, "groupId") ?? "", Property(message, "traits"), provenance, e.Timestamp),
            "alias" => new Aliased(profileId, Text(message, "previousId") ?? "", e.UserId ?? "", provenance, e.Timestamp),
            _ => throw new ArgumentException($"Unknown event type '{e.Type}' on message {e.MessageId}"),
        };
    }

    private static JsonElement? Property(JsonElement message, string name) =>
        message.ValueKind == JsonValueKind.Object && message.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value.Clone()
            : null;

    private static string? Text(JsonElement message, string name) =>
        Property(message, name) is { } v ? (v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText()) : null;
}

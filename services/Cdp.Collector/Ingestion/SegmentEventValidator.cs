using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cdp.Collector.Sources;
using Cdp.Contracts.Collector;

namespace Cdp.Collector.Ingestion;

/// Checks one Segment-spec event and stamps it: message id, receivedAt, skew-corrected timestamp.
/// Pure: the caller supplies the clock and the source, so it is tested without a server.
public static class SegmentEventValidator
{
    public static readonly IReadOnlySet<string> Types = new HashSet<string> { "identify", "track", "page", "screen", "group", "alias" };

    private static readonly string[] ObjectFields = ["traits", "properties", "context", "integrations"];
    private static readonly string[] TimeFields = ["timestamp", "sentAt", "originalTimestamp"];

    /// Validates <paramref name="raw"/> (mutating it only when valid) and returns the collected event or the errors.
    /// <param name="idSeed">When set, a missing messageId is derived from it and the index, so a redelivered
    /// message gets the same ids and downstream deduplication recognises it; otherwise ids are random.</param>
    public static (EventCollected? Event, List<FieldError> Errors) Validate(JsonObject raw, string? type, int? index,
        Source source, DateTimeOffset receivedAt, DateTimeOffset? batchSentAt = null, string? idSeed = null)
    {
        var errors = new List<FieldError>();
        void Fail(string field, string reason) => errors.Add(new FieldError(index, field, reason));

        type ??= StringOf(raw, "type", Fail, required: false);
        if (type is null)
        {
            Fail("type", "is required: one of identify, track, page, screen, group, alias");
        }
        else if (!Types.Contains(type))
        {
            Fail("type", $"'{type}' is not one of identify, track, page, screen, group, alias");
        }

        var messageId = StringOf(raw, "messageId", Fail, required: false);
        if (messageId is { Length: > SegmentLimits.MaxMessageIdLength })
        {
            Fail("messageId", $"is {messageId.Length} characters; at most {SegmentLimits.MaxMessageIdLength} are allowed");
        }
        else if (messageId is { Length: 0 })
        {
            Fail("messageId", "is empty; leave it out to have one generated");
        }

        var userId = IdOf(raw, "userId", Fail);
        var anonymousId = IdOf(raw, "anonymousId", Fail);
        var previousId = IdOf(raw, "previousId", Fail);
        var groupId = IdOf(raw, "groupId", Fail);
        var eventName = StringOf(raw, "event", Fail, required: false);
        StringOf(raw, "name", Fail, required: false);

        if (type == "alias")
        {
            if (string.IsNullOrEmpty(previousId)) Fail("previousId", "is required for alias");
            if (string.IsNullOrEmpty(userId)) Fail("userId", "is required for alias");
        }
        else if (string.IsNullOrEmpty(userId) && string.IsNullOrEmpty(anonymousId))
        {
            Fail("userId", "either userId or anonymousId is required");
        }
        if (type == "track" && string.IsNullOrWhiteSpace(eventName)) Fail("event", "is required for track");
        if (type == "group" && string.IsNullOrEmpty(groupId)) Fail("groupId", "is required for group");

        foreach (var field in ObjectFields)
        {
            if (raw[field] is { } node && node.GetValueKind() is not (JsonValueKind.Object or JsonValueKind.Null))
            {
                Fail(field, $"must be an object, not {Kind(node)}");
            }
        }
        if (raw["context"] is JsonObject context)
        {
            if (context["traits"] is { } ct && ct.GetValueKind() is not (JsonValueKind.Object or JsonValueKind.Null)) Fail("context.traits", $"must be an object, not {Kind(ct)}");
            if (context["device"] is { } cd && cd.GetValueKind() is not (JsonValueKind.Object or JsonValueKind.Null)) Fail("context.device", $"must be an object, not {Kind(cd)}");
            if (context["externalIds"] is { } ce && ce.GetValueKind() is not (JsonValueKind.Array or JsonValueKind.Null)) Fail("context.externalIds", $"must be an array, not {Kind(ce)}");
        }

        var times = new Dictionary<string, DateTimeOffset?>();
        foreach (var field in TimeFields)
        {
            times[field] = TimeOf(raw, field, Fail);
        }

        if (errors.Count > 0)
        {
            return (null, errors);
        }

        var sentAt = times["sentAt"] ?? batchSentAt;
        // The client's own clock reading: originalTimestamp where the SDK sends it (RudderStack), else timestamp.
        var clientTime = times["originalTimestamp"] ?? times["timestamp"];
        var timestamp = ClockSkew.Correct(clientTime, sentAt, receivedAt);
        messageId ??= idSeed is null ? Guid.NewGuid().ToString() : DerivedId(idSeed, index ?? 0);
        raw["type"] = type;
        raw["messageId"] = messageId;
        raw["receivedAt"] = Iso(receivedAt);
        if (times["timestamp"] is { } clientTimestamp && sentAt is not null && raw["originalTimestamp"] is null)
        {
            raw["originalTimestamp"] = raw["timestamp"]!.DeepClone();
        }
        if (clientTime is null || sentAt is not null)
        {
            raw["timestamp"] = Iso(timestamp);
        }

        return (new EventCollected(messageId, type!, userId, anonymousId, eventName, timestamp, receivedAt,
            source.Id, source.DataParty, JsonSerializer.SerializeToElement(raw)), errors);
    }

    private static string DerivedId(string seed, int index)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{seed}#{index}"));
        return new Guid(hash.AsSpan(0, 16)).ToString();
    }

    public static DateTimeOffset? ParseTime(JsonNode? node) =>
        node is not null && node.GetValueKind() == JsonValueKind.String &&
        DateTimeOffset.TryParse(node.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t
            : null;

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string Kind(JsonNode? node) => node is null ? "null" : node.GetValueKind().ToString().ToLowerInvariant();

    private static string? StringOf(JsonObject raw, string field, Action<string, string> fail, bool required)
    {
        var node = raw[field];
        if (node is null) return null;
        if (node.GetValueKind() == JsonValueKind.String) return node.GetValue<string>();
        fail(field, $"must be a string, not {Kind(node)}");
        return null;
    }

    // Segment SDKs send ids as strings, but some servers send numbers; both identify the same person.
    private static string? IdOf(JsonObject raw, string field, Action<string, string> fail)
    {
        var node = raw[field];
        if (node is null) return null;
        switch (node.GetValueKind())
        {
            case JsonValueKind.String: return node.GetValue<string>();
            case JsonValueKind.Number: return node.ToJsonString();
            default:
                fail(field, $"must be a string or a number, not {Kind(node)}");
                return null;
        }
    }

    private static DateTimeOffset? TimeOf(JsonObject raw, string field, Action<string, string> fail)
    {
        var node = raw[field];
        if (node is null) return null;
        if (ParseTime(node) is { } t) return t;
        fail(field, $"must be an ISO-8601 date-time string, e.g. 2026-01-31T12:00:00.000Z; got {node.ToJsonString()}");
        return null;
    }
}

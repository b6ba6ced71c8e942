using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cdp.Collector.Sources;
using Cdp.Contracts.Collector;

namespace Cdp.Collector.Ingestion;

/// What happened to one request (HTTP) or one message (AMQP): every event accepted, or all refused.
public abstract record IntakeResult;

public sealed record IntakeAccepted(Source Source, IReadOnlyList<EventCollected> Events) : IntakeResult;

public sealed record IntakeRefused(int Status, string Title, string Detail, IReadOnlyList<FieldError> Errors) : IntakeResult;

/// The one path every event takes into the platform, whatever the transport: authenticate the
/// write key, apply Segment's limits, validate and stamp each event. A batch is all-or-nothing.
public sealed class Intake(SourceRegistry sources)
{
    /// <param name="body">The parsed request or message.</param>
    /// <param name="type">The call type the HTTP path names; null for a batch, or for a single AMQP event that carries "type".</param>
    /// <param name="transportWriteKey">The write key from HTTP Basic auth or an AMQP header, if any.</param>
    /// <param name="idSeed">Seeds generated message ids (see SegmentEventValidator.Validate); null for random ids.</param>
    public IntakeResult Accept(JsonObject body, string? type, string? transportWriteKey, DateTimeOffset receivedAt, string? idSeed = null)
    {
        var writeKey = transportWriteKey
            ?? (body["writeKey"]?.GetValueKind() == JsonValueKind.String ? body["writeKey"]!.GetValue<string>() : null);
        body.Remove("writeKey");
        var source = sources.FindByWriteKey(writeKey);
        if (source is null || !source.Enabled)
        {
            return new IntakeRefused(StatusCodes.Status401Unauthorized, "Unauthorized", writeKey is null
                ? "No write key: send it as the HTTP Basic user name with an empty password, or as 'writeKey' in the body."
                : source is null ? "The write key belongs to no source." : $"Source '{source.Id}' is disabled.", []);
        }

        var isBatch = type is null && body["batch"] is not null;
        return isBatch ? AcceptBatch(body, source, receivedAt, idSeed) : AcceptOne(body, type, source, receivedAt, idSeed);
    }

    private static IntakeResult AcceptOne(JsonObject body, string? type, Source source, DateTimeOffset receivedAt, string? idSeed)
    {
        var (e, errors) = SegmentEventValidator.Validate(body, type, null, source, receivedAt, idSeed: idSeed);
        if (e is null)
        {
            return new IntakeRefused(StatusCodes.Status400BadRequest, "Invalid event", string.Join("; ", errors.Select(x => $"{x.Field} {x.Reason}")), errors);
        }
        return SizeOf(e) > SegmentLimits.MaxEventBytes ? TooLarge($"The event is over {SegmentLimits.MaxEventBytes} bytes.") : new IntakeAccepted(source, [e]);
    }

    private static IntakeResult AcceptBatch(JsonObject body, Source source, DateTimeOffset receivedAt, string? idSeed)
    {
        if (body["batch"] is not JsonArray batch)
        {
            return Invalid([new FieldError(null, "batch", "must be an array of events")], "The batch is not an array.");
        }
        if (batch.Count > SegmentLimits.MaxBatchEvents)
        {
            return TooLarge($"The batch has {batch.Count} events; at most {SegmentLimits.MaxBatchEvents} are accepted.");
        }
        var errors = new List<FieldError>();
        DateTimeOffset? sentAt = null;
        if (body["sentAt"] is { } sentNode)
        {
            sentAt = SegmentEventValidator.ParseTime(sentNode);
            if (sentAt is null) errors.Add(new FieldError(null, "sentAt", "must be an ISO-8601 date-time string"));
        }
        var events = new List<EventCollected>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            if (batch[i] is not JsonObject raw)
            {
                errors.Add(new FieldError(i, "", "each batch entry must be a JSON object"));
                continue;
            }
            raw.Remove("writeKey");
            // A batch's context and integrations apply to each event; the event's own keys win.
            foreach (var shared in new[] { "context", "integrations" })
            {
                if (body[shared] is JsonObject batchValue) raw[shared] = MergeUnder(raw[shared] as JsonObject, batchValue);
            }
            var (e, eventErrors) = SegmentEventValidator.Validate(raw, null, i, source, receivedAt, sentAt, idSeed);
            errors.AddRange(eventErrors);
            if (e is null) continue;
            if (SizeOf(e) > SegmentLimits.MaxEventBytes)
            {
                return TooLarge($"Event {i} of the batch is over {SegmentLimits.MaxEventBytes} bytes.");
            }
            events.Add(e);
        }
        return errors.Count > 0
            ? Invalid(errors, $"{errors.Select(e => e.Index).Distinct().Count()} event(s) of the batch are invalid; nothing was accepted.")
            : new IntakeAccepted(source, events);
    }

    private static JsonObject MergeUnder(JsonObject? own, JsonObject defaults)
    {
        var merged = (JsonObject)defaults.DeepClone();
        if (own is null) return merged;
        foreach (var (key, value) in own.ToList())
        {
            merged[key] = value is JsonObject ownChild && merged[key] is JsonObject batchChild
                ? MergeUnder(ownChild, batchChild)
                : value?.DeepClone();
        }
        return merged;
    }

    // The event as stored, stamped fields included; read from the serialized form without copying it.
    private static int SizeOf(EventCollected e) => JsonMarshal.GetRawUtf8Value(e.Message).Length;

    private static IntakeRefused TooLarge(string detail) => new(StatusCodes.Status413PayloadTooLarge, "Too large", detail, []);

    private static IntakeRefused Invalid(IReadOnlyList<FieldError> errors, string detail) =>
        new(StatusCodes.Status400BadRequest, "Invalid event", detail, errors);
}

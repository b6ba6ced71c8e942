using System.Text.Json;

namespace Cdp.Ops.Replay;

/// The body of each replayed message (content type application/json, AMQP type "cdp.replayed-event.v1",
/// message id the stored event's id, so a consumer can drop a repeat).
/// <param name="Sequence">The event's position in the customer event store: replays go in this order.</param>
/// <param name="EventId">The stored event's id.</param>
/// <param name="ProfileId">The profile that holds the event today (the survivor, if its stream was merged).</param>
/// <param name="StreamId">The profile stream the event was recorded on.</param>
/// <param name="Type">The Segment call type: identify, track, page, screen, group or alias.</param>
/// <param name="Event">The track event name, for track calls.</param>
/// <param name="Timestamp">When it happened.</param>
/// <param name="RecordedAt">When the profile store appended it.</param>
/// <param name="Data">The stored event as recorded: traits or properties, and its provenance (message id, source, data party, context).</param>
public sealed record ReplayedEvent(long Sequence, Guid EventId, string ProfileId, string StreamId, string Type, string? Event,
    DateTimeOffset? Timestamp, DateTimeOffset RecordedAt, JsonElement Data)
{
    public const string AmqpType = "cdp.replayed-event.v1";
}

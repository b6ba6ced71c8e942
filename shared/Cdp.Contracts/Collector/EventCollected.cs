using System.Text.Json;

namespace Cdp.Contracts.Collector;

/// <summary>
/// A Segment-spec event accepted by the Collector: validated, authenticated and stamped.
/// The envelope fields are copied out of <see cref="Message"/> for routing; <see cref="Message"/>
/// is the whole event as stored, unknown fields included, with <c>messageId</c>, <c>receivedAt</c>
/// and the skew-corrected <c>timestamp</c> filled in.
/// </summary>
/// <param name="MessageId">The event's own id (the client's <c>messageId</c>, or one the Collector generated).</param>
/// <param name="Type">identify, track, page, screen, group or alias.</param>
/// <param name="UserId">The known user id, if any.</param>
/// <param name="AnonymousId">The anonymous id, if any.</param>
/// <param name="Event">The track event name.</param>
/// <param name="Timestamp">When the event happened, corrected for client clock skew.</param>
/// <param name="ReceivedAt">When the Collector accepted it.</param>
/// <param name="SourceId">The source whose write key sent it.</param>
/// <param name="DataParty">first, second or third (see <see cref="DataParties"/>).</param>
/// <param name="Message">The complete Segment-spec JSON object.</param>
public sealed record EventCollected(
    string MessageId,
    string Type,
    string? UserId,
    string? AnonymousId,
    string? Event,
    DateTimeOffset Timestamp,
    DateTimeOffset ReceivedAt,
    string SourceId,
    string DataParty,
    JsonElement Message);

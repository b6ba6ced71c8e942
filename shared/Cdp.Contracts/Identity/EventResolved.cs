namespace Cdp.Contracts.Identity;

/// <summary>A collected event attributed to the profile that identity resolution chose for it.</summary>
/// <param name="ProfileId">The canonical profile the event belongs to.</param>
/// <param name="Event">The collected event, unchanged.</param>
/// <param name="Identifiers">The identifiers of the event that the profile holds.</param>
/// <param name="Dropped">Identifiers of the event left out by a rule, with the rule.</param>
/// <param name="Reassignment">Set when identity rules were applied again and moved this already recorded event to
/// <paramref name="ProfileId"/>: the id of that re-resolution, so the move is recorded once and the original is not a duplicate of it.</param>
/// <param name="TraceParent">The W3C trace context of the request that collected the event, so its trace goes on when
/// the event travels inside <see cref="EventsResolved"/> (a message sent alone carries it in its headers as well).</param>
public sealed record EventResolved(
    string ProfileId,
    Collector.EventCollected Event,
    IReadOnlyList<Identifier> Identifiers,
    IReadOnlyList<DroppedIdentifier> Dropped,
    string? Reassignment = null,
    string? TraceParent = null);

/// <summary>An identifier that a rule kept off a profile.</summary>
/// <param name="Type">Identifier type.</param>
/// <param name="Value">Identifier value.</param>
/// <param name="Rule">The rule that fired, e.g. <c>blocked</c>, <c>limit:user_id=1</c>.</param>
public sealed record DroppedIdentifier(string Type, string Value, string Rule);

using Cdp.Contracts;
using Cdp.Contracts.Collector;
using Cdp.Contracts.Identity;

namespace Cdp.IdentityResolution.Identities;

// The events of one profile's identity stream. Stored names are data: never rename, add a V2.

public sealed record ProfileCreated(string ProfileId, string MessageId, DateTimeOffset At);

/// An identifier joined the profile because message MessageId carried it together with LinkedTo
/// (null when it created the profile), which is what "explain" follows.
public sealed record IdentifierAdded(string ProfileId, string Type, string Value, string MessageId, Identifier? LinkedTo, string SourceId,
    DateTimeOffset At);

/// A rule kept an identifier of message MessageId off the profile: why these were NOT merged.
public sealed record IdentifierRefused(string ProfileId, string Type, string Value, string MessageId, string Rule, DateTimeOffset At);

/// Why two profiles are one: message MessageId carried SurvivorSide (held by the survivor) and MergedSide (held by the merged one).
public sealed record MergeEvidence(Identifier SurvivorSide, Identifier MergedSide, string MessageId, string SourceId, DateTimeOffset At);

/// The survivor absorbed MergedId with its identifiers.
public sealed record ProfileMergedFrom(string ProfileId, string MergedId, MergeEvidence Evidence, IReadOnlyList<HeldIdentifier> Identifiers,
    int MergedMergeCount, DateTimeOffset At);

/// This profile now lives on in SurvivorId; it is a pointer from here on.
public sealed record ProfileMergedInto(string ProfileId, string SurvivorId, MergeEvidence Evidence, DateTimeOffset At);

/// The ingest log: every collected event, in arrival order (the event sequence), on the profile it resolved to.
public sealed record EventAttributed(string ProfileId, EventCollected Event, IReadOnlyList<Identifier> Identifiers,
    IReadOnlyList<DroppedIdentifier> Dropped, DateTimeOffset At);

/// An event left with no usable identifier; kept in the day's "unresolvable-yyyy-MM-dd" stream, never lost.
public sealed record EventUnresolvable(string MessageId, EventCollected Event, IReadOnlyList<DroppedIdentifier> Dropped, DateTimeOffset At);

// Written when an operator applies other identity rules (`./cdp ops identity re-resolve`); RunId names that run.

/// The profile's events belong to other profiles under the rules applied by RunId; it points to SucceededBy from now on.
public sealed record ProfileSuperseded(string ProfileId, string SucceededBy, string RunId, DateTimeOffset At);

/// Under the rules applied by RunId the profile holds exactly these identifiers (with when each was first seen).
public sealed record IdentifiersReplaced(string ProfileId, IReadOnlyList<HeldIdentifier> Identifiers, string RunId, DateTimeOffset At);

/// The ingest-log entry of an event that the rules applied by RunId moved to this profile: it replaces the event's earlier attribution.
public sealed record EventReattributed(string ProfileId, EventCollected Event, IReadOnlyList<Identifier> Identifiers,
    IReadOnlyList<DroppedIdentifier> Dropped, string RunId, DateTimeOffset At);

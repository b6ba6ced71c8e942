using Cdp.Contracts;
using Cdp.Contracts.Collector;
using Cdp.Contracts.Identity;

namespace Cdp.IdentityResolution.Identities;

// The events of one profile's identity stream. Stored names are data: never rename, add a V2.

public sealed record ProfileCreated(string ProfileId, string MessageId, DateTimeOffset At);

public sealed record IdentifierAdded(string ProfileId, string Type, string Value, string MessageId, DateTimeOffset At);

/// The ingest log: every collected event, in arrival order (the event sequence), on the profile it resolved to.
public sealed record EventAttributed(string ProfileId, EventCollected Event, IReadOnlyList<Identifier> Identifiers,
    IReadOnlyList<DroppedIdentifier> Dropped, DateTimeOffset At);

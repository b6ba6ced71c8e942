using System.Text.Json;
using Cdp.Contracts;

namespace Cdp.ProfileProjection.Profiles;

// The customer event store: one stream per profile, the system of record for what each person did.
// Stored names are data: never rename, add a V2.

/// Where an event came from: its message id, source, data party, arrival time and original context, and the identifiers
/// it carried that its profile did not hold yet (Linked), which join the profile with it.
public sealed record Provenance(string MessageId, string SourceId, string DataParty, DateTimeOffset ReceivedAt, JsonElement? Context,
    IReadOnlyList<Identifier>? Linked = null);

/// Identifiers that joined the profile: an event of their own before the customer event that carried them, until they
/// came with it (Provenance.Linked), which spared a fifth of the profile store's rows (docs/performance.md, twelfth round).
/// Still applied, for the streams that hold it.
public sealed record IdentifiersLinked(string ProfileId, IReadOnlyList<Identifier> Identifiers, string MessageId, DateTimeOffset At);

public sealed record Identified(string ProfileId, JsonElement? Traits, Provenance Provenance, DateTimeOffset Timestamp);

public sealed record Tracked(string ProfileId, string Event, JsonElement? Properties, Provenance Provenance, DateTimeOffset Timestamp);

public sealed record PageViewed(string ProfileId, string? Name, JsonElement? Properties, Provenance Provenance, DateTimeOffset Timestamp);

public sealed record ScreenViewed(string ProfileId, string? Name, JsonElement? Properties, Provenance Provenance, DateTimeOffset Timestamp);

public sealed record GroupJoined(string ProfileId, string GroupId, JsonElement? Traits, Provenance Provenance, DateTimeOffset Timestamp);

public sealed record Aliased(string ProfileId, string PreviousId, string UserId, Provenance Provenance, DateTimeOffset Timestamp);

/// The survivor absorbed MergedId: its trait registers, identifiers and activity, as they were.
public sealed record ProfileMergedFrom(string ProfileId, string MergedId, string MessageId, IReadOnlyDictionary<string, TraitRegister> Traits,
    IReadOnlyDictionary<string, List<string>> Identifiers, long EventCount, DateTimeOffset? FirstSeen, DateTimeOffset? LastSeen, DateTimeOffset At,
    ProfileActivity? Activity = null);

/// This profile now lives on in SurvivorId; events that still arrive for it go there.
public sealed record ProfileMergedInto(string ProfileId, string SurvivorId, string MessageId, DateTimeOffset At);

/// Identity rules applied again (run RunId) moved this profile's events to other profiles, which receive them
/// re-attributed; it points to SucceededBy, and events still addressed to it the old way are left to those copies.
public sealed record ProfileSuperseded(string ProfileId, string SucceededBy, string RunId, DateTimeOffset At);

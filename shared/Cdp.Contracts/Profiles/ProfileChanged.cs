using System.Text.Json;

namespace Cdp.Contracts.Profiles;

/// <summary>A unified profile changed; carries the snapshot that audience rules read.</summary>
/// <param name="ProfileId">The canonical profile id.</param>
/// <param name="Version">The profile's stream version after the change; higher is newer.</param>
/// <param name="MessageId">The collected event that caused the change.</param>
/// <param name="ChangedTraits">Trait keys whose value changed.</param>
/// <param name="Snapshot">The profile as it is now.</param>
/// <param name="ReceivedAt">When the Collector accepted the causing event (for end-to-end latency).</param>
/// <param name="MergedInto">Set when this profile was merged into another: it no longer stands for anyone.</param>
public sealed record ProfileChanged(
    string ProfileId,
    long Version,
    string MessageId,
    IReadOnlyList<string> ChangedTraits,
    ProfileSnapshot Snapshot,
    DateTimeOffset ReceivedAt,
    string? MergedInto = null);

/// <summary>What audiences need of a profile, bounded in size.</summary>
/// <param name="Identifiers">Identifier values by type.</param>
/// <param name="Traits">Current trait values.</param>
/// <param name="EventCount">Distinct events on the profile.</param>
/// <param name="FirstSeen">Timestamp of the earliest event.</param>
/// <param name="LastSeen">Timestamp of the latest event.</param>
/// <param name="EventCounts">Track events by name: how many, ever.</param>
/// <param name="DailyCounts">Track events by name, then by day (yyyy-MM-dd, UTC), for the 90 days up to the latest event.</param>
/// <param name="ComputedTraits">Traits computed from events as configured (e.g. lifetime revenue).</param>
/// <param name="Sources">Source ids that sent the profile's events.</param>
/// <param name="DataParties">Data parties seen: first, second, third.</param>
public sealed record ProfileSnapshot(
    IReadOnlyDictionary<string, IReadOnlyList<string>> Identifiers,
    IReadOnlyDictionary<string, JsonElement> Traits,
    long EventCount,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    IReadOnlyDictionary<string, long>? EventCounts = null,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>>? DailyCounts = null,
    IReadOnlyDictionary<string, JsonElement>? ComputedTraits = null,
    IReadOnlyList<string>? Sources = null,
    IReadOnlyList<string>? DataParties = null);

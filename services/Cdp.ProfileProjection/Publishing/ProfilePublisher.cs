using System.Text.Json;
using Cdp.Contracts.Profiles;
using Cdp.ProfileProjection.Profiles;
using Cdp.ServiceDefaults.Persistence;
using JasperFx.Events;
using Marten;
using MassTransit;

namespace Cdp.ProfileProjection.Publishing;

/// Publishes one ProfileChanged per profile touched in a page of events, carrying the profile's snapshot, several
/// to a message (ProfilesChanged). The snapshot is of the profile as committed with the page's last event of it or
/// later: handed over by the recording (CommittedProfiles) or read from the store.
public sealed class ProfilePublisher(IBus bus, CommittedProfiles committed, ILogger<ProfilePublisher> logger) : PublishingSubscription(bus, logger)
{
    protected override async Task<IReadOnlyList<OutgoingMessage>> MessagesForAsync(IReadOnlyList<IEvent> events, IDocumentOperations operations, CancellationToken ct)
    {
        var byProfile = events.Where(e => e.StreamKey is not null).GroupBy(e => e.StreamKey!).ToList();
        if (byProfile.Count == 0) return [];
        var profiles = new Dictionary<string, CustomerProfile>(byProfile.Count);
        var unread = new List<string>();
        foreach (var group in byProfile)
        {
            if (committed.TryTake(group.Key, group.Last().Version, out var handed)) profiles[group.Key] = handed;
            else unread.Add(group.Key);
        }
        if (unread.Count > 0)
        {
            foreach (var p in await operations.LoadManyAsync<CustomerProfile>(ct, unread)) profiles[p.Id] = p;
        }
        var changes = new List<(IEvent, ProfileChanged)>(byProfile.Count);
        foreach (var group in byProfile)
        {
            if (!profiles.TryGetValue(group.Key, out var profile)) continue;
            var last = group.Last();
            var changedTraits = group.Select(e => e.Data).OfType<Identified>()
                .SelectMany(i => i.Traits is { ValueKind: JsonValueKind.Object } t ? t.EnumerateObject().Select(p => p.Name) : [])
                .Distinct().ToList();
            var provenance = group.Select(e => ProvenanceOf(e.Data)).LastOrDefault(p => p is not null);
            var messageId = group.Select(e => e.Data switch
            {
                ProfileMergedFrom m => m.MessageId,
                ProfileMergedInto m => m.MessageId,
                ProfileSuperseded m => m.RunId,
                _ => ProvenanceOf(e.Data)?.MessageId,
            }).LastOrDefault(m => m is not null);
            var changed = changedTraits.Concat(group.Select(e => e.Data).OfType<ProfileMergedFrom>().SelectMany(m => m.Traits.Keys)).Distinct().ToList();
            changes.Add((last, new ProfileChanged(profile.Id, profile.Version, messageId ?? "", changed, Snapshot(profile),
                provenance?.ReceivedAt ?? last.Timestamp, profile.MergedInto)));
        }
        return [.. Batched(changes, batch => new ProfilesChanged(batch))];
    }

    public static ProfileSnapshot Snapshot(CustomerProfile p) => new(
        p.Identifiers.ToDictionary(i => i.Key, i => (IReadOnlyList<string>)i.Value),
        p.Traits.Where(t => !t.Value.IsCleared).ToDictionary(t => t.Key, t => t.Value.Value!.Value),
        p.EventCount,
        p.FirstSeen ?? DateTimeOffset.MinValue,
        p.LastSeen ?? DateTimeOffset.MinValue,
        p.Activity.Events.ToDictionary(e => e.Key, e => e.Value.Count),
        p.Activity.DailyCounts.ToDictionary(d => d.Key, d => (IReadOnlyDictionary<string, int>)d.Value),
        p.Activity.Computed.ToDictionary(c => c.Key, c => c.Value.AsJson()),
        p.Activity.Sources,
        p.Activity.DataParties);

    private static Provenance? ProvenanceOf(object data) => data switch
    {
        Identified e => e.Provenance,
        Tracked e => e.Provenance,
        PageViewed e => e.Provenance,
        ScreenViewed e => e.Provenance,
        GroupJoined e => e.Provenance,
        Aliased e => e.Provenance,
        _ => null,
    };
}

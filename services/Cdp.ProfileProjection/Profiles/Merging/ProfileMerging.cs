using Cdp.Contracts.Identity;
using Cdp.ServiceDefaults.Persistence;
using Marten;
using Polly;

namespace Cdp.ProfileProjection.Profiles.Merging;

/// The survivor absorbs the merged profile (traits by last writer wins, identifiers united, counts added) and the
/// merged stream records where it went, in one transaction with the marker, for a group of merges at a time: one read
/// of the markers and profiles, one transaction. One merge at a time held this process's other writers (ProfileWriters)
/// 18-27 ms a merge at 800 events/s, a fifth to a third of the time the recording held them (docs/performance.md,
/// ninth round).
/// Both streams are written at the version read, so an event another instance lands on either meanwhile makes the
/// group run again; merges already committed are skipped by their markers.
public sealed class ProfileMerging(IDocumentStore store, ProfileWriters writers, TimeProvider clock, IReadOnlyList<ComputedTraitDefinition> computed)
{
    private static readonly ResiliencePipeline RaceRetry = LostRace.RetryPipeline();

    private static string MarkerOf(MergeToCarryOut merge) => $"merge:{merge.Merge.MergedId}:{merge.Merge.SurvivorId}";

    public Task MergeAsync(IReadOnlyList<MergeToCarryOut> group, CancellationToken ct) =>
        RaceRetry.ExecuteAsync(async token => await MergeOnceAsync(group, token), ct).AsTask();

    private async Task MergeOnceAsync(IReadOnlyList<MergeToCarryOut> group, CancellationToken ct)
    {
        using var turn = await writers.TakeTurnAsync(ct);
        for (var waiting = group; waiting.Count > 0;) waiting = await MergeApartAsync(waiting, ct);
    }

    /// Merges those of <paramref name="merges"/> that touch no profile another of them writes first, in one transaction;
    /// returns the others, which need that outcome (a chain, or two merges into one survivor), for the next.
    private async Task<IReadOnlyList<MergeToCarryOut>> MergeApartAsync(IReadOnlyList<MergeToCarryOut> merges, CancellationToken ct)
    {
        // The profiles read here are evolved in place and stored below, as the recording stores its own (ProfileRecording).
        await using var session = store.LightweightSession();
        var (pending, loaded) = await session.PendingAsync<MergeToCarryOut, CustomerProfile>(merges, MarkerOf, "profile-merges",
            [.. merges.SelectMany(m => new[] { m.Merge.SurvivorId, m.Merge.MergedId }).Distinct()], ct);
        if (pending.Count == 0) return [];

        var profiles = await CanonicalProfiles.FollowingAsync(session, loaded, ct);
        var written = new HashSet<string>();
        var later = new List<MergeToCarryOut>();
        var appends = new List<StreamAppend<CustomerProfile>>();
        var now = clock.GetUtcNow();
        void Append(string id, object e, string? trace) =>
            appends.Add(CanonicalProfiles.AppendAtVersionRead(id, profiles.GetValueOrDefault(id), [e], [trace], computed));
        foreach (var pendingMerge in pending)
        {
            var merge = pendingMerge.Merge;
            var (survivorId, survivorSuperseded) = CanonicalProfiles.Follow(profiles, merge.SurvivorId);
            if (written.Contains(survivorId) || written.Contains(merge.MergedId))
            {
                later.Add(pendingMerge);
                continue;
            }
            var m = profiles.GetValueOrDefault(merge.MergedId);
            // Superseded: decided before identity rules were applied again; the new profiles already hold these events.
            if (!survivorSuperseded && !CanonicalProfiles.Follow(profiles, merge.MergedId).Superseded
                && survivorId != merge.MergedId && m?.MergedInto is null)
            {
                Append(survivorId, new ProfileMergedFrom(survivorId, merge.MergedId, merge.MessageId, m?.Traits ?? [], m?.Identifiers ?? [],
                    m?.EventCount ?? 0, m?.FirstSeen, m?.LastSeen, now, m?.Activity), pendingMerge.TraceParent);
                Append(merge.MergedId, new ProfileMergedInto(merge.MergedId, survivorId, merge.MessageId, now), pendingMerge.TraceParent);
                written.Add(survivorId);
                written.Add(merge.MergedId);
            }
            session.MarkProcessed(MarkerOf(pendingMerge), now);
        }
        // Both streams of every merge in one statement (ManyStreamAppend), stamped as Marten stamps its appends.
        session.AppendToStreams<CustomerProfile>(appends, clock.GetUtcNow());
        await session.SaveChangesAsync(ct);
        return later;
    }
}

/// A merge to carry out, with the trace of the message that asked for it (a group is handled outside that message's
/// consumer, so its events carry the trace themselves).
public sealed record MergeToCarryOut(ProfilesMerged Merge, string? TraceParent);

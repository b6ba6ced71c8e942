using Cdp.Contracts.Identity;
using Cdp.ServiceDefaults.Maintenance;
using Cdp.ServiceDefaults.Persistence;
using Cdp.ServiceDefaults.Telemetry;
using Marten;
using MassTransit;

namespace Cdp.ProfileProjection.Profiles.Merging;

/// The survivor absorbs the merged profile (traits by last writer wins, identifiers united, counts
/// added) and the merged stream records where it went, in one transaction with the marker. Both
/// streams are written at the version read, so an event another instance lands on either meanwhile makes this retry
/// (this instance's writers take turns: ProfileWriters).
/// Held while an operator rebuilds the profiles (MaintenancePause).
public sealed class ProfilesMergedConsumer(IDocumentStore store, ProfileWriters writers, MaintenancePause pause, TimeProvider clock) : IConsumer<ProfilesMerged>
{
    private static readonly Polly.ResiliencePipeline RaceRetry = LostRace.RetryPipeline();

    public async Task Consume(ConsumeContext<ProfilesMerged> context)
    {
        using var _ = await pause.EnterAsync(context.CancellationToken);
        await RaceRetry.ExecuteAsync(async ct => await MergeOnceAsync(context.Message, ct), context.CancellationToken);
    }

    private async Task MergeOnceAsync(ProfilesMerged merge, CancellationToken ct)
    {
        using var turn = await writers.TakeTurnAsync(ct);
        // Three round trips under the turn (marker, both profiles, the transaction), where following and fetching each
        // profile on its own took about eight: a merge held this process's other writers 26.6 ms on average at 800
        // events/s, 18.5-22.0 ms now (docs/performance.md, ninth round).
        // An identity map: the inline projection takes the two profiles read here instead of loading them again.
        await using var session = store.IdentitySession();
        var marker = $"merge:{merge.MergedId}:{merge.SurvivorId}";
        if (await session.WasProcessedAsync(marker, ct)) return;

        var profiles = await CanonicalProfiles.LoadFollowingAsync(session, [merge.SurvivorId, merge.MergedId], ct);
        var (survivorId, survivorSuperseded) = CanonicalProfiles.Follow(profiles, merge.SurvivorId);
        if (survivorSuperseded || CanonicalProfiles.Follow(profiles, merge.MergedId).Superseded)
        {
            // Decided before identity rules were applied again: the new profiles already hold these events.
            session.MarkProcessed(marker, clock.GetUtcNow());
            await session.SaveChangesAsync(ct);
            return;
        }
        var m = profiles.GetValueOrDefault(merge.MergedId);
        var now = clock.GetUtcNow();
        if (survivorId != merge.MergedId && m?.MergedInto is null)
        {
            AppendAtVersionRead(session, survivorId, profiles.GetValueOrDefault(survivorId), new ProfileMergedFrom(survivorId, merge.MergedId,
                merge.MessageId, m?.Traits ?? [], m?.Identifiers ?? [], m?.EventCount ?? 0, m?.FirstSeen, m?.LastSeen, now, m?.Activity));
            AppendAtVersionRead(session, merge.MergedId, m, new ProfileMergedInto(merge.MergedId, survivorId, merge.MessageId, now));
        }
        session.StampTrace();
        session.MarkProcessed(marker, now);
        await session.SaveChangesAsync(ct);
    }

    /// A profile's document carries its stream's version; a profile with no document has no stream yet (a survivor
    /// may exist only as an id so far).
    private static void AppendAtVersionRead(IDocumentSession session, string profileId, CustomerProfile? read, object e)
    {
        if (read is null) session.Events.StartStream<CustomerProfile>(profileId, e);
        else session.Events.Append(profileId, read.Version + 1, e);
    }
}

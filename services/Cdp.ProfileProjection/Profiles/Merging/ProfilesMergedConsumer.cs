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
        await using var session = store.LightweightSession();
        var marker = $"merge:{merge.MergedId}:{merge.SurvivorId}";
        if (await session.WasProcessedAsync(marker, ct)) return;

        var survivorPath = await CanonicalProfiles.FollowAsync(session, merge.SurvivorId, ct);
        if (survivorPath.Superseded || (await CanonicalProfiles.FollowAsync(session, merge.MergedId, ct)).Superseded)
        {
            // Decided before identity rules were applied again: the new profiles already hold these events.
            session.MarkProcessed(marker, clock.GetUtcNow());
            await session.SaveChangesAsync(ct);
            return;
        }
        var survivorId = survivorPath.Id;
        var merged = await session.Events.FetchForWriting<CustomerProfile>(merge.MergedId, ct);
        var survivor = await session.Events.FetchForWriting<CustomerProfile>(survivorId, ct);
        var now = clock.GetUtcNow();
        if (survivorId != merge.MergedId && merged.Aggregate?.MergedInto is null)
        {
            var m = merged.Aggregate;
            survivor.AppendOne(new ProfileMergedFrom(survivorId, merge.MergedId, merge.MessageId,
                m?.Traits ?? [], m?.Identifiers ?? [], m?.EventCount ?? 0, m?.FirstSeen, m?.LastSeen, now, m?.Activity));
            merged.AppendOne(new ProfileMergedInto(merge.MergedId, survivorId, merge.MessageId, now));
        }
        session.StampTrace();
        session.MarkProcessed(marker, now);
        await session.SaveChangesAsync(ct);
    }
}

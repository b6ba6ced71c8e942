using Cdp.Contracts.Identity;
using Cdp.ServiceDefaults.Maintenance;
using Cdp.ServiceDefaults.Persistence;
using Marten;
using MassTransit;

namespace Cdp.ProfileProjection.Profiles.Merging;

/// Identity rules were applied again and this profile's events now belong to other profiles, which are built from
/// the re-attributed events as they arrive. The profile becomes a pointer to its successor, as a merged one does,
/// so its id keeps answering and ProfileChanged tells Activation it left its audiences.
public sealed class ProfileRetiredConsumer(IDocumentStore store, ProfileWriters writers, MaintenancePause pause, TimeProvider clock) : IConsumer<ProfileRetired>
{
    private static readonly Polly.ResiliencePipeline RaceRetry = LostRace.RetryPipeline();

    public async Task Consume(ConsumeContext<ProfileRetired> context)
    {
        using var _ = await pause.EnterAsync(context.CancellationToken);
        await RaceRetry.ExecuteAsync(async ct => await RetireOnceAsync(context.Message, ct), context.CancellationToken);
    }

    private async Task RetireOnceAsync(ProfileRetired retired, CancellationToken ct)
    {
        using var turn = await writers.TakeTurnAsync(ct);
        await using var session = store.LightweightSession();
        var marker = $"retired:{retired.RunId}:{retired.ProfileId}";
        if (await session.WasProcessedAsync(marker, ct)) return;
        var stream = await session.Events.FetchForWriting<CustomerProfile>(retired.ProfileId, ct);
        var now = clock.GetUtcNow();
        if (stream.Aggregate is { RetiredBy: null } && retired.SucceededBy != retired.ProfileId)
        {
            stream.AppendOne(new ProfileSuperseded(retired.ProfileId, retired.SucceededBy, retired.RunId, now));
        }
        session.StampTrace();
        session.MarkProcessed(marker, now);
        await session.SaveChangesAsync(ct);
    }
}

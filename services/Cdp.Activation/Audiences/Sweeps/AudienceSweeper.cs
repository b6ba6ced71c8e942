using Cdp.Activation.Audiences.Definitions;
using Cdp.Activation.Memberships;
using Cdp.Activation.Profiles;
using Cdp.ServiceDefaults.Maintenance;
using Marten;
using Microsoft.Extensions.Options;

namespace Cdp.Activation.Audiences.Sweeps;

/// Evaluates audiences over every known profile when no event would: a backfill after an audience is
/// defined, changed or deleted, and, at Cdp:Activation:ReevaluateEvery, a clock sweep of the audiences
/// that depend on time, so people exit (or enter) when a window passes. Entries and exits are appended
/// like any others and delivered by AudienceChangePublisher.
/// Held while an operator rebuilds the audiences (MaintenancePause).
public sealed class AudienceSweeper(IDocumentStore store, MembershipRecording recording, MaintenancePause pause, IOptions<ActivationOptions> options,
    TimeProvider clock, ILogger<AudienceSweeper> logger) : BackgroundService
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);
    private DateTimeOffset _lastClockSweep = DateTimeOffset.MinValue;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _lastClockSweep = clock.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await BackfillPendingAsync(stoppingToken);
                if (clock.GetUtcNow() - _lastClockSweep >= options.Value.ReevaluateEvery)
                {
                    await ClockSweepAsync(stoppingToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Audience sweep failed; trying again shortly");
            }
            await Task.Delay(Poll, clock, stoppingToken);
        }
    }

    private async Task BackfillPendingAsync(CancellationToken ct)
    {
        await using var query = store.QuerySession();
        var audiences = await query.Query<Audience>().ToListAsync(ct);
        var progress = (await query.Query<AudienceBackfill>().ToListAsync(ct)).ToDictionary(b => b.Id);
        foreach (var audience in audiences)
        {
            progress.TryGetValue(audience.Key, out var backfill);
            if (backfill is { Status: BackfillStatus.Completed } && backfill.AudienceVersion >= audience.Version) continue;
            if (clock.GetUtcNow() - audience.ChangedAt < options.Value.BackfillSettle) continue;
            await BackfillAsync(audience, backfill?.AudienceVersion == audience.Version ? backfill : null, ct);
        }
    }

    private async Task BackfillAsync(Audience audience, AudienceBackfill? resumed, CancellationToken ct)
    {
        await using var query = store.QuerySession();
        var backfill = resumed ?? new AudienceBackfill
        {
            Id = audience.Key, AudienceVersion = audience.Version, Status = BackfillStatus.Running, StartedAt = clock.GetUtcNow(),
            Total = await query.Query<ProfileState>().CountAsync(ct),
        };
        backfill.Status = BackfillStatus.Running;
        logger.LogInformation("Backfilling audience {Audience} version {Version} over {Total} profiles", audience.Key, audience.Version, backfill.Total);
        while (true)
        {
            var before = backfill.Processed;
            var page = await OnePageAsync(() => recording.SweepPageAsync([audience], backfill.After, options.Value.SweepPageSize, MembershipReasons.Backfill, null,
                (session, last, count) =>
                {
                    backfill.After = last;
                    backfill.Processed = before + count;
                    session.Store(backfill);
                }, ct), ct);
            if (page is null) break;
            backfill.Changes += page.Value.Changes;
        }
        backfill.Status = BackfillStatus.Completed;
        backfill.CompletedAt = clock.GetUtcNow();
        backfill.Total = Math.Max(backfill.Total, backfill.Processed);
        await OnePageAsync(async () =>
        {
            await using var session = store.LightweightSession();
            session.Store(backfill);
            await session.SaveChangesAsync(ct);
            return true;
        }, ct);
        logger.LogInformation("Backfilled audience {Audience}: {Processed} profiles, {Changes} changes", audience.Key, backfill.Processed, backfill.Changes);
    }

    private async Task ClockSweepAsync(CancellationToken ct)
    {
        _lastClockSweep = clock.GetUtcNow();
        await using var query = store.QuerySession();
        var timed = (await query.Query<Audience>().ToListAsync(ct)).Where(a => a.IsTimeDependent).ToList();
        if (timed.Count == 0) return;
        // Only the profiles whose due time has come: the others' answers cannot have changed since they were evaluated.
        var dueBy = _lastClockSweep;
        string? after = null;
        long profiles = 0, changes = 0;
        while (await OnePageAsync(() => recording.SweepPageAsync(timed, after, options.Value.SweepPageSize, MembershipReasons.Clock, dueBy, null, ct), ct) is { } page)
        {
            (after, profiles, changes) = (page.Last, profiles + page.Count, changes + page.Changes);
        }
        logger.LogInformation("Clock sweep of {Audiences} time-dependent audiences over {Profiles} due profiles: {Changes} changes",
            timed.Count, profiles, changes);
    }

    // A page at a time inside the pause, so a rebuild waits for one page, not a whole backfill.
    private async Task<T> OnePageAsync<T>(Func<Task<T>> page, CancellationToken ct)
    {
        using var _ = await pause.EnterAsync(ct);
        return await page();
    }
}

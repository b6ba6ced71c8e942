using System.Diagnostics;
using JasperFx.Events.Daemon;
using Marten;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Cdp.ServiceDefaults.Maintenance;

/// <summary>
/// Rebuilds this service's Marten projections from its event store, one rebuild at a time. The service pauses
/// rather than rebuilding beside and switching: its writers are held (<see cref="MaintenancePause"/>), its
/// subscriptions are let catch up to the last event (so nothing they publish reads a half-built document), the
/// projections are rebuilt, and the writers resume with the backlog that waited on the broker. Reads of the
/// rebuilt documents answer 503 meanwhile (<see cref="RebuildApi.RefusedWhileRebuilding{TBuilder}"/>).
/// </summary>
public sealed class ProjectionRebuilder(IDocumentStore store, NpgsqlDataSource database, MaintenancePause pause, IHostApplicationLifetime lifetime,
    TimeProvider clock, ILogger<ProjectionRebuilder> logger, IEnumerable<IProjectionRebuild> ownRebuilds, IReadOnlyList<string> projections)
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan ProjectionTimeout = TimeSpan.FromHours(2);

    private readonly Lock _lock = new();
    private RebuildStatus _status = RebuildStatus.Idle(projections);

    /// <summary>The projection names rebuilt, in order.</summary>
    public IReadOnlyList<string> Projections => projections;

    /// <summary>The latest rebuild.</summary>
    public RebuildStatus Status
    {
        get { lock (_lock) return _status; }
    }

    private string Schema => ((DocumentStore)store).Options.Events.DatabaseSchemaName;

    /// <summary>Starts a rebuild in the background; false when one is running already.</summary>
    public bool TryStart(out RebuildStatus started)
    {
        lock (_lock)
        {
            if (_status.Running)
            {
                started = _status;
                return false;
            }
            _status = started = new RebuildStatus("pausing", projections, null, 0, 0, clock.GetUtcNow(), null, null, null, _status.Incomplete);
        }
        _ = Task.Run(() => RunAsync(lifetime.ApplicationStopping));
        return true;
    }

    private void Update(Func<RebuildStatus, RebuildStatus> change)
    {
        lock (_lock) _status = change(_status);
    }

    private async Task RunAsync(CancellationToken ct)
    {
        var clockwatch = Stopwatch.StartNew();
        long total = 0;
        try
        {
            logger.LogWarning("Rebuilding {Projections}: holding writers", string.Join(", ", projections));
            if (pause.Reason is null) await pause.PauseAsync($"rebuilding {string.Join(", ", projections)}", DrainTimeout, ct);

            Update(s => s with { State = "draining" });
            total = await HeadAsync(ct);
            await WaitForSubscriptionsAsync(total, ct);

            Update(s => s with { State = "rebuilding", Total = total });
            using var daemon = await store.BuildProjectionDaemonAsync();
            foreach (var name in projections)
            {
                Update(s => s with { Current = name, Processed = 0 });
                if (ownRebuilds.FirstOrDefault(r => r.Name == name) is { } own)
                {
                    await own.RebuildAsync(applied => Update(s => s with { Processed = applied }), ct);
                    Update(s => s with { Processed = total });
                    continue;
                }
                using var progress = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var watching = WatchProgressAsync(name, progress.Token);
                await daemon.RebuildProjectionAsync(name, ProjectionTimeout, ct);
                await progress.CancelAsync();
                await watching;
                Update(s => s with { Processed = total });
            }
            var seconds = clockwatch.Elapsed.TotalSeconds;
            Update(s => s with
            {
                State = "completed", Current = null, FinishedAt = clock.GetUtcNow(), Incomplete = false,
                EventsPerSecond = seconds > 0 ? Math.Round(total * projections.Count / seconds) : null,
            });
            logger.LogWarning("Rebuilt {Projections} over {Events} events in {Seconds:F1} s", string.Join(", ", projections), total, seconds);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Rebuilding {Projections} failed", string.Join(", ", projections));
            // Once documents were deleted the projections are incomplete: writers stay held (reads answer 503) until a
            // rebuild completes, since a writer would build on a missing document.
            var incomplete = Status.State == "rebuilding" || Status.Incomplete;
            Update(s => s with
            {
                State = "failed", FinishedAt = clock.GetUtcNow(), Incomplete = incomplete,
                Error = incomplete ? $"{e.Message} The projections are incomplete, so writers stay held and reads answer 503. Fix: start the rebuild again."
                                   : e.Message,
            });
            if (!incomplete) pause.Resume();
            return;
        }
        pause.Resume();
    }

    private async Task<long> HeadAsync(CancellationToken ct)
    {
        await using var command = database.CreateCommand($"select coalesce(max(seq_id), 0) from {Schema}.mt_events");
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    // A subscription that is behind would publish from documents the rebuild is rewriting.
    private async Task WaitForSubscriptionsAsync(long head, CancellationToken ct)
    {
        var deadline = clock.GetUtcNow() + DrainTimeout;
        while (true)
        {
            await using var command = database.CreateCommand(
                $"select name, last_seq_id from {Schema}.mt_event_progression where name like '%:All' and not (split_part(name, ':', 1) = any($1))");
            command.Parameters.Add(new NpgsqlParameter { Value = projections.ToArray() });
            var behind = new List<string>();
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    if (reader.GetInt64(1) < head) behind.Add($"{reader.GetString(0)} at {reader.GetInt64(1)} of {head}");
                }
            }
            if (behind.Count == 0) return;
            if (clock.GetUtcNow() > deadline)
            {
                throw new TimeoutException($"Subscriptions did not catch up in {DrainTimeout.TotalSeconds:F0} s ({string.Join("; ", behind)}). " +
                    "Fix: check the service's log and the broker, then start the rebuild again.");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200), clock, ct);
        }
    }

    private async Task WatchProgressAsync(string name, CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), clock, ct);
                await using var command = database.CreateCommand($"select last_seq_id from {Schema}.mt_event_progression where name = $1");
                command.Parameters.Add(new NpgsqlParameter { Value = $"{name}:All" });
                if (await command.ExecuteScalarAsync(ct) is long processed) Update(s => s with { Processed = processed });
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}

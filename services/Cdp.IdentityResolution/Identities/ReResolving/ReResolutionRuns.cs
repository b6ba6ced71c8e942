namespace Cdp.IdentityResolution.Identities.ReResolving;

/// The latest re-resolution (a dry run or applying rules), run in the background so a long ingest log can be followed.
public sealed class ReResolutionRuns(IHostApplicationLifetime lifetime, ILogger<ReResolutionRuns> logger)
{
    /// <param name="Mode">dry-run or apply.</param>
    /// <param name="State">idle, running, completed or failed.</param>
    /// <param name="Result">A ReResolutionDiff for a dry run, a ReResolutionApplied for apply.</param>
    public sealed record Status(string Mode, string State, long Total, long Processed, object? Result, string? Error)
    {
        public bool Running => State == "running";
    }

    private readonly Lock _lock = new();
    private Status _status = new("dry-run", "idle", 0, 0, null, null);

    public Status Current
    {
        get { lock (_lock) return _status; }
    }

    public bool TryStart(string mode, Func<CancellationToken, Task<long>> count, Func<Action<long>, CancellationToken, Task<object>> work, out Status started)
    {
        lock (_lock)
        {
            if (_status.Running)
            {
                started = _status;
                return false;
            }
            _status = started = new Status(mode, "running", 0, 0, null, null);
        }
        _ = Task.Run(async () =>
        {
            var ct = lifetime.ApplicationStopping;
            try
            {
                var total = await count(ct);
                Update(s => s with { Total = total });
                var result = await work(processed => Update(s => s with { Processed = processed }), ct);
                Update(s =>
                {
                    // The total was counted before the run; events resolved since were read too.
                    var all = Math.Max(s.Total, s.Processed);
                    return s with { State = "completed", Total = all, Processed = all, Result = result };
                });
            }
            catch (Exception e)
            {
                logger.LogError(e, "Re-resolution ({Mode}) failed", mode);
                Update(s => s with { State = "failed", Error = e.Message });
            }
        });
        return true;
    }

    private void Update(Func<Status, Status> change)
    {
        lock (_lock) _status = change(_status);
    }
}

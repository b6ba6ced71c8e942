using Cdp.IdentityResolution.Identities.Rules;

namespace Cdp.IdentityResolution.Identities.ReResolving;

/// The latest dry run of other identity rules, run in the background so a long ingest log can be followed.
public sealed class ReResolutionRuns(ReResolution reResolution, IHostApplicationLifetime lifetime, ILogger<ReResolutionRuns> logger)
{
    /// <param name="State">idle, running, completed or failed.</param>
    public sealed record Status(string State, long Total, long Processed, ReResolutionDiff? Result, string? Error)
    {
        public bool Running => State == "running";
    }

    private readonly Lock _lock = new();
    private Status _status = new("idle", 0, 0, null, null);

    public Status Current
    {
        get { lock (_lock) return _status; }
    }

    public bool TryStart(IdentityOptions options, int sample, out Status started)
    {
        lock (_lock)
        {
            if (_status.Running)
            {
                started = _status;
                return false;
            }
            _status = started = new Status("running", 0, 0, null, null);
        }
        _ = Task.Run(async () =>
        {
            var ct = lifetime.ApplicationStopping;
            try
            {
                var total = await reResolution.CountAsync(ct);
                Update(s => s with { Total = total });
                var diff = await reResolution.DryRunAsync(options, sample, processed => Update(s => s with { Processed = processed }), ct);
                Update(s => s with { State = "completed", Processed = diff.Events, Result = diff });
                logger.LogInformation("Re-resolution dry run over {Events} events: {Before} profiles before, {After} after, {Splits} splits, {Joins} joins",
                    diff.Events, diff.ProfilesBefore, diff.ProfilesAfter, diff.Splits, diff.Joins);
            }
            catch (Exception e)
            {
                logger.LogError(e, "Re-resolution dry run failed");
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

namespace Cdp.ServiceDefaults.Maintenance;

/// <summary>
/// Lets an operator task (a projection rebuild) stop a service's writers without stopping the service:
/// each writer enters around one unit of work (a consumed batch, a sweep); a pause waits for the ones inside
/// to leave and holds new ones at the door until it is resumed. Held messages stay unacknowledged on the
/// broker, so nothing is lost and the backlog drains after the resume.
/// </summary>
public sealed class MaintenancePause
{
    private readonly Lock _lock = new();
    private int _inside;
    private TaskCompletionSource? _resumed;
    private TaskCompletionSource? _drained;

    /// <summary>Why writers are held, or null when they are not.</summary>
    public string? Reason { get; private set; }

    /// <summary>Waits while paused, then counts the caller in until the returned handle is disposed. Never nest two entries.</summary>
    public async ValueTask<IDisposable> EnterAsync(CancellationToken ct) => (await PassAsync(enter: true, ct))!;

    /// <summary>
    /// Waits while paused without counting the caller in: for a writer that waits for work before it enters, which a
    /// pause must not wait for.
    /// </summary>
    public async ValueTask WaitWhileHeldAsync(CancellationToken ct) => await PassAsync(enter: false, ct);

    private async ValueTask<IDisposable?> PassAsync(bool enter, CancellationToken ct)
    {
        while (true)
        {
            Task resumed;
            lock (_lock)
            {
                if (_resumed is null)
                {
                    if (!enter) return null;
                    _inside++;
                    return new Entry(this);
                }
                resumed = _resumed.Task;
            }
            await resumed.WaitAsync(ct);
        }
    }

    /// <summary>Counts the caller in unless writers are held; for requests, which are refused rather than made to wait.</summary>
    public bool TryEnter(out IDisposable entry)
    {
        lock (_lock)
        {
            if (_resumed is not null)
            {
                entry = null!;
                return false;
            }
            _inside++;
            entry = new Entry(this);
            return true;
        }
    }

    /// <summary>
    /// Holds new writers and waits until every writer inside has left; if they have not within <paramref name="drainTimeout"/>,
    /// lets writers in again and throws, so a stuck writer never leaves the service held. Call <see cref="Resume"/> when done.
    /// </summary>
    public async Task PauseAsync(string reason, TimeSpan drainTimeout, CancellationToken ct)
    {
        Task drained;
        lock (_lock)
        {
            if (_resumed is not null) throw new InvalidOperationException($"Writers are already held: {Reason}");
            _resumed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Reason = reason;
            if (_inside == 0) _drained.TrySetResult();
            drained = _drained.Task;
        }
        try
        {
            await drained.WaitAsync(drainTimeout, ct);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            Resume();
            // A cancelled pause (the service stopping) is not a writer that failed to finish.
            if (e is OperationCanceledException) throw;
            throw new TimeoutException($"The service's writers did not finish within {drainTimeout.TotalSeconds:F0} s, so nothing was done. " +
                                       "Fix: try again; if it keeps happening, the service's log shows what is busy.", e);
        }
    }

    /// <summary>Lets writers in again.</summary>
    public void Resume()
    {
        TaskCompletionSource? resumed;
        lock (_lock)
        {
            resumed = _resumed;
            _resumed = null;
            _drained = null;
            Reason = null;
        }
        resumed?.TrySetResult();
    }

    private void Leave()
    {
        lock (_lock)
        {
            _inside--;
            if (_inside == 0) _drained?.TrySetResult();
        }
    }

    private sealed class Entry(MaintenancePause pause) : IDisposable
    {
        private int _left;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _left, 1) == 0) pause.Leave();
        }
    }
}

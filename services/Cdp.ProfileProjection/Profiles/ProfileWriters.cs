namespace Cdp.ProfileProjection.Profiles;

/// The writers of this process's profile streams (recording, merging, retiring) take turns. The event that caused a
/// merge and the merge itself reach the survivor's stream within milliseconds of each other; racing, one of them lost,
/// rolled back a whole batch to run it again, and left a gap in the event sequence that held the profile publisher
/// (and every audience change behind it) for Cdp:Persistence:StaleSequenceThreshold. Writers in other processes are
/// still kept apart by stream versions.
public sealed class ProfileWriters
{
    private readonly SemaphoreSlim _turn = new(1, 1);

    /// <summary>Waits for this process's other profile writers; the turn ends when the handle is disposed.</summary>
    public async ValueTask<IDisposable> TakeTurnAsync(CancellationToken ct)
    {
        await _turn.WaitAsync(ct);
        return new Turn(_turn);
    }

    private sealed class Turn(SemaphoreSlim turn) : IDisposable
    {
        public void Dispose() => turn.Release();
    }
}

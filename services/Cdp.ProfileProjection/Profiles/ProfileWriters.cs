namespace Cdp.ProfileProjection.Profiles;

/// The writers of this process's profile streams take turns. The event that caused a merge and the merge itself reach
/// the survivor's stream within milliseconds of each other; racing, one of them lost, rolled back a whole batch to run
/// it again, and left a gap in the event sequence that held the profile publisher (and every audience change behind
/// it) for Cdp:Persistence:StaleSequenceThreshold. So a merge or a retirement writes alone; recordings run one per
/// lane of their GroupCommit at once, since each lane holds other profiles. Writers in other processes are still kept
/// apart by stream versions.
public sealed class ProfileWriters
{
    /// Recording groups written at once (the lanes of the recording GroupCommit).
    public const int RecordingLanes = 2;

    private readonly SemaphoreSlim _turns = new(RecordingLanes, RecordingLanes);
    private readonly SemaphoreSlim _exclusive = new(1, 1);

    /// <summary>A recording's turn: waits while a merge or a retirement writes; ends when the handle is disposed.</summary>
    public async ValueTask<IDisposable> TakeTurnAsync(CancellationToken ct)
    {
        await _turns.WaitAsync(ct);
        return new Turn(_turns, 1, null);
    }

    /// <summary>A merge's or retirement's turn: waits until no other writer of this process writes.</summary>
    public async ValueTask<IDisposable> TakeWholeTurnAsync(CancellationToken ct)
    {
        // One at a time gathers every turn: two gathering at once could each hold some and wait for the rest.
        await _exclusive.WaitAsync(ct);
        var taken = 0;
        try
        {
            for (; taken < RecordingLanes; taken++) await _turns.WaitAsync(ct);
            return new Turn(_turns, taken, _exclusive);
        }
        catch
        {
            if (taken > 0) _turns.Release(taken);
            _exclusive.Release();
            throw;
        }
    }

    private sealed class Turn(SemaphoreSlim turns, int count, SemaphoreSlim? exclusive) : IDisposable
    {
        public void Dispose()
        {
            turns.Release(count);
            exclusive?.Release();
        }
    }
}

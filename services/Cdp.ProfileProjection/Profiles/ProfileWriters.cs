namespace Cdp.ProfileProjection.Profiles;

/// The writers of this process's profile streams take turns by lane: a profile id belongs to one of <see cref="Lanes"/>
/// lanes, the recording GroupCommit's lanes, and a writer holds the lanes of the profiles it writes. The event that
/// caused a merge and the merge itself reach the survivor's stream within milliseconds of each other; racing, one of
/// them lost, rolled back a whole batch to run it again, and left a gap in the event sequence that held the profile
/// publisher (and every audience change behind it) for Cdp:Persistence:StaleSequenceThreshold. A merge holding every
/// lane instead stopped both recording lanes for each merge: at 1,000 events/s the merges' queue grew to 3,336 messages
/// within five minutes. Writers in other processes are still kept apart by stream versions.
public sealed class ProfileWriters
{
    /// Recording groups written at once (the lanes of the recording GroupCommit).
    public const int Lanes = 2;

    private readonly SemaphoreSlim[] _turns = [.. Enumerable.Range(0, Lanes).Select(_ => new SemaphoreSlim(1, 1))];

    public static int LaneOf(string profileId) => ServiceDefaults.Messaging.Lanes.Of(profileId, Lanes);

    /// <summary>
    /// Waits for this process's other writers of the lanes <paramref name="profileIds"/> belong to; the turn ends when
    /// the handle is disposed.
    /// </summary>
    public async ValueTask<IDisposable> TakeTurnAsync(IEnumerable<string> profileIds, CancellationToken ct)
    {
        // Always in lane order, so that two writers that each need two lanes never hold one each.
        var lanes = profileIds.Select(LaneOf).Distinct().Order().ToArray();
        var taken = 0;
        try
        {
            for (; taken < lanes.Length; taken++) await _turns[lanes[taken]].WaitAsync(ct);
        }
        catch
        {
            foreach (var lane in lanes[..taken]) _turns[lane].Release();
            throw;
        }
        return new Turn(_turns, lanes);
    }

    private sealed class Turn(SemaphoreSlim[] turns, int[] lanes) : IDisposable
    {
        public void Dispose()
        {
            foreach (var lane in lanes) turns[lane].Release();
        }
    }
}

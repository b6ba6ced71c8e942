using Cdp.ProfileProjection.Profiles;

namespace Cdp.ProfileProjection.Tests.Profiles;

public class ProfileWritersTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private readonly ProfileWriters _writers = new();

    /// Two profile ids in different lanes, and another in the first one's lane.
    private static (string A, string B, string SameLaneAsA) Ids()
    {
        var ids = Enumerable.Range(0, 100).Select(i => $"p{i}").ToList();
        var a = ids[0];
        return (a, ids.First(id => ProfileWriters.LaneOf(id) != ProfileWriters.LaneOf(a)),
            ids.Skip(1).First(id => ProfileWriters.LaneOf(id) == ProfileWriters.LaneOf(a)));
    }

    [Fact]
    public async Task Given_a_writer_of_one_profile_then_a_writer_in_another_lane_writes_at_once_and_one_in_its_lane_waits()
    {
        var (a, b, sameLane) = Ids();
        var writing = await _writers.TakeTurnAsync([a], CancellationToken.None);

        (await _writers.TakeTurnAsync([b], CancellationToken.None).AsTask().WaitAsync(Wait)).Dispose();
        var waiting = _writers.TakeTurnAsync([sameLane], CancellationToken.None).AsTask();
        await Task.Delay(100);
        Assert.False(waiting.IsCompleted);

        writing.Dispose();
        (await waiting.WaitAsync(Wait)).Dispose();
    }

    [Fact]
    public async Task Given_recordings_in_both_lanes_when_a_merge_of_profiles_in_both_asks_then_it_waits_for_both_and_a_later_recording_waits_for_it()
    {
        var (a, b, sameLane) = Ids();
        var first = await _writers.TakeTurnAsync([a], CancellationToken.None);
        var second = await _writers.TakeTurnAsync([b], CancellationToken.None);

        var merge = _writers.TakeTurnAsync([b, a], CancellationToken.None).AsTask();
        await Task.Delay(100);
        first.Dispose();
        await Task.Delay(100);
        Assert.False(merge.IsCompleted);
        second.Dispose();
        var merging = await merge.WaitAsync(Wait);

        var later = _writers.TakeTurnAsync([sameLane], CancellationToken.None).AsTask();
        await Task.Delay(100);
        Assert.False(later.IsCompleted);
        merging.Dispose();
        (await later.WaitAsync(Wait)).Dispose();
    }

    [Fact]
    public async Task Given_two_merges_of_the_same_two_lanes_asked_in_opposite_orders_then_both_get_their_turn()
    {
        var (a, b, _) = Ids();
        var holding = await _writers.TakeTurnAsync([a], CancellationToken.None);

        var one = _writers.TakeTurnAsync([a, b], CancellationToken.None).AsTask();
        var other = _writers.TakeTurnAsync([b, a], CancellationToken.None).AsTask();
        holding.Dispose();

        (await one.WaitAsync(Wait)).Dispose();
        (await other.WaitAsync(Wait)).Dispose();
    }

}

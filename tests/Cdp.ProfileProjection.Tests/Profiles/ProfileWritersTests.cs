using Cdp.ProfileProjection.Profiles;

namespace Cdp.ProfileProjection.Tests.Profiles;

public class ProfileWritersTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Given_recordings_in_every_lane_then_they_write_at_once_and_the_next_waits_for_one_to_end()
    {
        var writers = new ProfileWriters();
        var recordings = new List<IDisposable>();
        for (var lane = 0; lane < ProfileWriters.RecordingLanes; lane++)
        {
            recordings.Add(await writers.TakeTurnAsync(CancellationToken.None).AsTask().WaitAsync(Wait));
        }

        var next = writers.TakeTurnAsync(CancellationToken.None).AsTask();
        await Task.Delay(100);
        Assert.False(next.IsCompleted);

        recordings[0].Dispose();
        (await next.WaitAsync(Wait)).Dispose();
    }

    [Fact]
    public async Task Given_a_recording_writing_when_a_merge_asks_then_it_waits_for_it_and_recordings_asking_later_wait_for_the_merge()
    {
        var writers = new ProfileWriters();
        var recording = await writers.TakeTurnAsync(CancellationToken.None);

        var merge = writers.TakeWholeTurnAsync(CancellationToken.None).AsTask();
        await Task.Delay(100);
        Assert.False(merge.IsCompleted);
        recording.Dispose();
        var merging = await merge.WaitAsync(Wait);

        var later = writers.TakeTurnAsync(CancellationToken.None).AsTask();
        var secondMerge = writers.TakeWholeTurnAsync(CancellationToken.None).AsTask();
        await Task.Delay(100);
        Assert.False(later.IsCompleted);
        Assert.False(secondMerge.IsCompleted);

        merging.Dispose();
        (await later.WaitAsync(Wait)).Dispose();
        (await secondMerge.WaitAsync(Wait)).Dispose();
        (await writers.TakeWholeTurnAsync(CancellationToken.None).AsTask().WaitAsync(Wait)).Dispose();
    }
}

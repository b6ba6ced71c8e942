using Cdp.ServiceDefaults.Maintenance;

namespace Cdp.Activation.Tests.Maintenance;

/// A writer that waits for the pause to end without entering (GroupCommit, between groups).
public sealed class MaintenancePauseTests
{
    [Fact]
    public async Task Given_a_writer_waiting_while_held_then_the_pause_does_not_wait_for_it_and_it_goes_on_after_the_resume()
    {
        var pause = new MaintenancePause();
        await pause.WaitWhileHeldAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5));

        await pause.PauseAsync("rebuild", TimeSpan.FromSeconds(5), CancellationToken.None);
        var waiting = pause.WaitWhileHeldAsync(CancellationToken.None).AsTask();
        await Task.Delay(100);
        Assert.False(waiting.IsCompleted);

        pause.Resume();
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        // Having waited, it was never counted in: a new pause finds nobody inside and holds at once.
        await pause.PauseAsync("rebuild again", TimeSpan.FromMilliseconds(200), CancellationToken.None);
    }
}

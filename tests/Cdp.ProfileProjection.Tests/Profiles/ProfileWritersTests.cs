using Cdp.ProfileProjection.Profiles;

namespace Cdp.ProfileProjection.Tests.Profiles;

public class ProfileWritersTests
{
    [Fact]
    public async Task Given_a_writer_holding_its_turn_when_another_asks_then_it_waits_until_the_first_is_done()
    {
        var writers = new ProfileWriters();
        var first = await writers.TakeTurnAsync(CancellationToken.None);

        var second = writers.TakeTurnAsync(CancellationToken.None).AsTask();
        await Task.Delay(100);
        Assert.False(second.IsCompleted);

        first.Dispose();
        (await second.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
        (await writers.TakeTurnAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
    }
}

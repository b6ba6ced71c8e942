using Cdp.Contracts.Profiles;
using Cdp.Testing;

namespace Cdp.Activation.Tests.Profiles;

/// ProfilesChanged, what ProfileProjection publishes: several changes to a message, each decided as if sent alone.
public class ProfilesChangedTests(ActivationFixture fixture) : IClassFixture<ActivationFixture>
{
    [Fact]
    public async Task Given_a_message_with_several_changes_when_consumed_then_each_profile_enters_once_and_a_redelivery_changes_nothing()
    {
        var key = Changes.NewKey("batch");
        await fixture.DefineAsync(key, """{"trait":"plan","op":"eq","value":"pro"}""");
        await fixture.BackfilledAsync(key);
        await using var probe = await fixture.ProbeAsync($"{key}.*");
        var ids = Enumerable.Range(0, 4).Select(_ => Changes.NewProfileId()).ToList();
        var message = new ProfilesChanged([.. ids.Select((id, i) => Changes.Profile(id, 1, i % 2 == 0 ? """{"plan":"pro"}""" : """{"plan":"free"}"""))]);

        await fixture.PublishAsync(message);
        await fixture.PublishAsync(message);
        await Eventually.TrueAsync(() => Task.FromResult(probe.Received.Count >= 2), what: "two entries");
        await fixture.Environment.WaitForQuietQueuesAsync();
        await Task.Delay(500);

        Assert.Equal(new[] { ids[0], ids[2] }.Order(), probe.Received.Select(d => d.Body.GetProperty("profileId").GetString()).Order());
        Assert.All(probe.Received, d => Assert.Equal($"{key}.entered", d.RoutingKey));
    }
}

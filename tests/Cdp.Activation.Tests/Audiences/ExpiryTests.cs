using System.Net.Http.Json;
using System.Text.Json;
using Cdp.Testing;

namespace Cdp.Activation.Tests.Audiences;

public class ExpiryTests(ActivationFixture fixture) : IClassFixture<ActivationFixture>
{
    [Fact]
    public async Task Given_a_windowed_audience_when_time_passes_the_window_with_no_event_then_the_member_exits_by_the_clock()
    {
        var key = Changes.NewKey("recent");
        await fixture.DefineAsync(key, """{"event":"Order Completed","op":"gte","value":1,"within_days":2}""");
        await fixture.BackfilledAsync(key);
        await using var probe = await fixture.ProbeAsync($"{key}.*");
        var id = Changes.NewProfileId();
        var today = fixture.Clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd");
        await fixture.PublishAsync(Changes.Profile(id, 1, "{}", daily: new() { ["Order Completed"] = new Dictionary<string, int> { [today] = 1 } }));
        await probe.WaitForAsync(d => d.RoutingKey == $"{key}.entered");

        // Still inside the window on the next day: the clock sweep runs every second and changes nothing.
        fixture.Clock.Advance(TimeSpan.FromDays(1));
        await Task.Delay(2500);
        Assert.Single(probe.Received);

        fixture.Clock.Advance(TimeSpan.FromDays(1));
        var exited = await probe.WaitForAsync(d => d.RoutingKey == $"{key}.exited");
        Assert.Equal("clock", exited.Body.GetProperty("reason").GetString());
        Assert.Equal(0, (await fixture.Admin.GetFromJsonAsync<JsonElement>($"/v1/audiences/{key}/members")).GetProperty("size").GetInt32());
    }

    [Fact]
    public async Task Given_an_inactivity_audience_when_time_passes_then_a_quiet_profile_enters_by_the_clock()
    {
        var key = Changes.NewKey("lapsed");
        await fixture.DefineAsync(key, """{"all":[{"has_identifier":"email"},{"not":{"last_seen_within_days":30}}]}""");
        await fixture.BackfilledAsync(key);
        await using var probe = await fixture.ProbeAsync($"{key}.*");
        var id = Changes.NewProfileId();
        await fixture.PublishAsync(Changes.Profile(id, 1, "{}"));
        await Eventually.TrueAsync(async () => (await fixture.Admin.GetAsync($"/v1/activation/profiles/{id}")).IsSuccessStatusCode);
        Assert.Empty(probe.Received);

        fixture.Clock.Advance(TimeSpan.FromDays(31));
        var entered = await probe.WaitForAsync(d => d.RoutingKey == $"{key}.entered" && d.Body.GetProperty("profileId").GetString() == id);
        Assert.Equal("clock", entered.Body.GetProperty("reason").GetString());
    }
}

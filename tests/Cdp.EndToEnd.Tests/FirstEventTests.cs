using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Cdp.Testing;

namespace Cdp.EndToEnd.Tests;

/// The four services as processes against real PostgreSQL and RabbitMQ: an event goes in over HTTP
/// at the Collector and comes out as a profile over HTTP and as a snapshot in Activation.
public sealed class FirstEventTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private Platform _platform = null!;

    public async Task InitializeAsync() => _platform = await Platform.StartAsync("e2e", report: output.WriteLine);

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    private Task<HttpResponseMessage> TrackAsync(string messageId, string userId, string traceParent) =>
        _platform.CollectAsync("/v1/track",
            $$$"""{"messageId":"{{{messageId}}}","userId":"{{{userId}}}","event":"Signed Up","properties":{"plan":"pro"}}""", traceParent);

    private Task<JsonElement?> ProfileByUserIdAsync(string userId) => _platform.ProfileAsync($"user_id:{userId}");

    [Fact]
    public async Task Given_a_track_call_when_accepted_then_the_profile_appears_over_http_and_activation_records_it_in_one_trace()
    {
        var traceId = Guid.NewGuid().ToString("N");
        await using var changes = await BusProbe.StartAsync(_platform.Environment.RabbitMq, "Cdp.Contracts.Profiles:ProfilesChanged", entries: "changes");

        var response = await TrackAsync(Guid.NewGuid().ToString(), "ann", $"00-{traceId}-{traceId[..16]}-01");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var profile = await Eventually.GetAsync(async () => (await ProfileByUserIdAsync("ann"))?.ToString(), what: "ann's profile");
        var json = JsonDocument.Parse(profile).RootElement;
        Assert.Equal("ann", json.GetProperty("identifiers").GetProperty("user_id")[0].GetString());
        Assert.Equal(1, json.GetProperty("eventCount").GetInt32());
        var id = json.GetProperty("id").GetString()!;

        using var byId = _platform.Client("ProfileProjection", bearer: "dev-read-token");
        Assert.Equal(id, (await byId.GetFromJsonAsync<JsonElement>($"/v1/profiles/{id}")).GetProperty("id").GetString());

        using var activation = _platform.Client("Activation", bearer: "dev-read-token");
        await Eventually.TrueAsync(async () => (await activation.GetAsync($"/v1/activation/profiles/{id}")).IsSuccessStatusCode,
            what: "Activation to record the profile");

        // One trace: the id of the HTTP request's traceparent reached the last hop's message.
        var changed = await changes.WaitForAsync(d => d.Message.GetProperty("profileId").GetString() == id);
        Assert.Contains(traceId, changed.Header("MT-Activity-Id"));
    }

    [Fact]
    public async Task Given_the_same_message_id_twice_when_accepted_then_counts_do_not_change()
    {
        var messageId = Guid.NewGuid().ToString();
        var trace = $"00-{Guid.NewGuid():N}-{Guid.NewGuid():N}"[..52] + "-01";
        Assert.Equal(HttpStatusCode.OK, (await TrackAsync(messageId, "bob", trace)).StatusCode);
        await Eventually.GetAsync(async () => (await ProfileByUserIdAsync("bob"))?.ToString(), what: "bob's profile");

        Assert.Equal(HttpStatusCode.OK, (await TrackAsync(messageId, "bob", trace)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await TrackAsync(Guid.NewGuid().ToString(), "bob", trace)).StatusCode);
        await Eventually.GetAsync(async () =>
            await ProfileByUserIdAsync("bob") is { } p && p.GetProperty("eventCount").GetInt32() >= 2 ? p.ToString() : null, what: "the second event");
        await _platform.Environment.WaitForQuietQueuesAsync();

        var after = await ProfileByUserIdAsync("bob");
        Assert.Equal(2, after!.Value.GetProperty("eventCount").GetInt32());
    }

    [Fact]
    public async Task Given_sigterm_when_a_service_stops_then_it_exits_cleanly()
    {
        Assert.Equal(0, await _platform.StopAsync("IdentityResolution", TimeSpan.FromSeconds(30)));
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Cdp.Testing;
using RabbitMQ.Client;

namespace Cdp.Ops.Tests;

/// Applying a stricter identity rule over the whole platform: the wrongly merged profile splits, the profiles and the
/// audience follow, and the rule stays in force for new events.
public sealed class ReResolveApplyTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];
    private Platform _platform = null!;

    public async Task InitializeAsync() => _platform = await Platform.StartAsync("reresolveapply", report: output.WriteLine);

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    private async Task SendAsync(string path, string json) =>
        Assert.Equal(HttpStatusCode.OK, (await _platform.CollectAsync(path, json)).StatusCode);

    private async Task<JsonElement> ProfileAsync(string identifier, Func<JsonElement, bool> until, string what) =>
        JsonDocument.Parse(await Eventually.GetAsync(async () =>
            await _platform.ProfileAsync(identifier) is { } p && until(p) ? p.ToString() : null, TimeSpan.FromSeconds(60), what)).RootElement;

    private static string IdOf(JsonElement profile) => profile.GetProperty("id").GetString()!;

    private static int EventsOf(JsonElement profile) => profile.GetProperty("eventCount").GetInt32();

    [Fact]
    public async Task Given_a_wrongly_merged_profile_in_an_audience_when_a_stricter_rule_is_applied_then_it_splits_and_profiles_audiences_and_new_events_follow()
    {
        var key = $"viewers-{_run}";
        using var admin = _platform.Client("Activation", bearer: "dev-admin-token");
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/v1/audiences", JsonDocument.Parse(
            $$$"""{"key":"{{{key}}}","name":"Viewers","rule":{"event":"Viewed","op":"gte","value":1}}""").RootElement)).StatusCode);
        await using var subscriber = await BusProbe.StartAsync(_platform.Environment.RabbitMq, "cdp.audience-changes", ExchangeType.Topic, $"{key}.*");

        await SendAsync("/v1/track", $$$"""{"anonymousId":"laptop-{{{_run}}}","event":"Viewed"}""");
        await ProfileAsync($"anonymous_id:laptop-{_run}", p => EventsOf(p) == 1, "the laptop's profile");
        await SendAsync("/v1/identify", $$$"""{"anonymousId":"tablet-{{{_run}}}","traits":{"email":"family-{{{_run}}}@example.com"}}""");
        await ProfileAsync($"anonymous_id:tablet-{_run}", p => EventsOf(p) == 1, "the tablet's profile");
        await SendAsync("/v1/identify", $$$"""{"anonymousId":"laptop-{{{_run}}}","traits":{"email":"family-{{{_run}}}@example.com"}}""");
        var merged = await ProfileAsync($"anonymous_id:tablet-{_run}", p => EventsOf(p) == 3, "the wrongly merged profile");
        var entered = await subscriber.WaitForAsync(d => d.RoutingKey == $"{key}.entered" && d.Body.GetProperty("profileId").GetString() == IdOf(merged));
        Assert.NotNull(entered);

        var rules = Path.Combine(Path.GetTempPath(), $"rules-{_run}.json");
        await File.WriteAllTextAsync(rules, """{"Rules":{"anonymous_id":{"Priority":5,"Limit":1}}}""");
        var run = await OpsCli.RunAsync(_platform, "identity", "re-resolve", "--rules", rules, "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal((1, 2, 3), (run.Json.GetProperty("profilesSuperseded").GetInt32(), run.Json.GetProperty("profilesCreated").GetInt32(),
            run.Json.GetProperty("eventsReattributed").GetInt32()));
        var laptop = await ProfileAsync($"anonymous_id:laptop-{_run}", p => IdOf(p) != IdOf(merged) && EventsOf(p) == 1, "the laptop's own profile again");
        var tablet = await ProfileAsync($"anonymous_id:tablet-{_run}", p => IdOf(p) != IdOf(merged) && EventsOf(p) == 2, "the tablet's profile with the family email");
        Assert.NotEqual(IdOf(laptop), IdOf(tablet));
        Assert.Equal([$"laptop-{_run}"], laptop.GetProperty("identifiers").GetProperty("anonymous_id").EnumerateArray().Select(v => v.GetString()));
        Assert.False(laptop.GetProperty("identifiers").TryGetProperty("email", out _));
        Assert.Equal($"family-{_run}@example.com", tablet.GetProperty("identifiers").GetProperty("email")[0].GetString());

        // The old id answers with its successor, the part holding most of its events.
        using var reader = _platform.Client("ProfileProjection", bearer: "dev-read-token");
        var old = await reader.GetFromJsonAsync<JsonElement>($"/v1/profiles/{IdOf(merged)}");
        Assert.Equal(IdOf(tablet), IdOf(old));

        // The audience follows: the superseded profile exits, the laptop's part (which viewed) enters.
        await subscriber.WaitForAsync(d => d.RoutingKey == $"{key}.exited" && d.Body.GetProperty("profileId").GetString() == IdOf(merged));
        await subscriber.WaitForAsync(d => d.RoutingKey == $"{key}.entered" && d.Body.GetProperty("profileId").GetString() == IdOf(laptop));

        // The stricter rule stays in force: the laptop with the family email no longer joins them.
        await SendAsync("/v1/identify", $$$"""{"anonymousId":"laptop-{{{_run}}}","traits":{"email":"family-{{{_run}}}@example.com"}}""");
        await ProfileAsync($"anonymous_id:tablet-{_run}", p => IdOf(p) == IdOf(tablet) && EventsOf(p) == 3, "the new event on the family email's profile");
        await _platform.Environment.WaitForQuietQueuesAsync();
        var laptopAfter = await ProfileAsync($"anonymous_id:laptop-{_run}", _ => true, "the laptop's profile");
        Assert.Equal((IdOf(laptop), 1), (IdOf(laptopAfter), EventsOf(laptopAfter)));
    }
}

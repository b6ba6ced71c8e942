using System.Net;
using System.Text.Json;
using Cdp.Testing;

namespace Cdp.EndToEnd.Tests;

/// Two visitors turn out to be one person: identity merges them and the profile follows, over HTTP.
public sealed class MergeTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private Platform _platform = null!;

    public async Task InitializeAsync() => _platform = await Platform.StartAsync("e2emerge", report: output.WriteLine);

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    private async Task SendAsync(string path, string json) =>
        Assert.Equal(HttpStatusCode.OK, (await _platform.CollectAsync(path, json)).StatusCode);

    private Task<JsonElement?> ProfileAsync(string identifier) => _platform.ProfileAsync(identifier);

    [Fact]
    public async Task Given_two_anonymous_profiles_when_an_event_links_them_then_one_profile_holds_both_with_every_event()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        await SendAsync("/v1/track", $$"""{"anonymousId":"phone-{{run}}","event":"Viewed"}""");
        await SendAsync("/v1/identify", $$$"""{"anonymousId":"laptop-{{{run}}}","traits":{"email":"{{{run}}}@example.com","plan":"pro"}}""");
        await Eventually.TrueAsync(async () => await ProfileAsync($"anonymous_id:phone-{run}") is not null && await ProfileAsync($"anonymous_id:laptop-{run}") is not null,
            what: "both visitor profiles");
        Assert.NotEqual((await ProfileAsync($"anonymous_id:phone-{run}"))!.Value.GetProperty("id").GetString(),
            (await ProfileAsync($"anonymous_id:laptop-{run}"))!.Value.GetProperty("id").GetString());

        await SendAsync("/v1/identify", $$$"""{"anonymousId":"phone-{{{run}}}","traits":{"email":"{{{run}}}@example.com"}}""");

        var merged = await Eventually.GetAsync(async () =>
        {
            var phone = await ProfileAsync($"anonymous_id:phone-{run}");
            var laptop = await ProfileAsync($"anonymous_id:laptop-{run}");
            return phone is { } p && laptop is { } l && p.GetProperty("id").GetString() == l.GetProperty("id").GetString()
                   && p.GetProperty("eventCount").GetInt32() == 3 ? p.ToString() : null;
        }, what: "the merged profile");
        var profile = JsonDocument.Parse(merged).RootElement;
        Assert.Equal("pro", profile.GetProperty("traits").GetProperty("plan").GetString());
        Assert.Equal(2, profile.GetProperty("identifiers").GetProperty("anonymous_id").GetArrayLength());
    }
}

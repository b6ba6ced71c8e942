using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Cdp.Contracts;
using Cdp.Contracts.Identity;
using Cdp.Testing;

namespace Cdp.ProfileProjection.Tests.Profiles;

public class HistoryApiTests(ProfileFixture fixture) : IClassFixture<ProfileFixture>
{
    private static EventResolved Resolved(string profileId, string type, string? traits = null, string? eventName = null, DateTimeOffset? at = null) =>
        new(profileId, Events.Collected(type: type, userId: "u-" + profileId, traits: traits, eventName: eventName, timestamp: at),
            [new Identifier("user_id", "u-" + profileId)], []);

    private async Task PublishAndWaitAsync(string profileId, EventResolved e, int expectedCount)
    {
        await fixture.PublishAsync(e);
        await Eventually.TrueAsync(async () => await fixture.ProfileAsync(profileId) is { } p && p.GetProperty("eventCount").GetInt32() == expectedCount);
    }

    [Fact]
    public async Task Given_a_history_when_reading_the_timeline_then_it_pages_newest_first_and_filters()
    {
        var id = "p" + Guid.NewGuid().ToString("N");
        var n = 0;
        foreach (var e in new[]
                 {
                     Resolved(id, "identify", traits: """{"plan":"free"}"""),
                     Resolved(id, "track", eventName: "Order Completed"),
                     Resolved(id, "page"),
                     Resolved(id, "track", eventName: "Order Completed"),
                     Resolved(id, "track", eventName: "Signed Up"),
                 })
        {
            await PublishAndWaitAsync(id, e, ++n);
        }
        var reader = fixture.Reader();

        var first = await reader.GetFromJsonAsync<JsonElement>($"/v1/profiles/{id}/events?limit=2");
        var second = await reader.GetFromJsonAsync<JsonElement>($"/v1/profiles/{id}/events?limit=2&cursor={first.GetProperty("nextCursor").GetString()}");
        var third = await reader.GetFromJsonAsync<JsonElement>($"/v1/profiles/{id}/events?limit=2&cursor={second.GetProperty("nextCursor").GetString()}");
        var types = new[] { first, second, third }.SelectMany(p => p.GetProperty("events").EnumerateArray()).Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.Equal(["track", "track", "page", "track", "identify"], types);
        Assert.Equal("Signed Up", first.GetProperty("events")[0].GetProperty("event").GetString());

        var orders = await reader.GetFromJsonAsync<JsonElement>($"/v1/profiles/{id}/events?type=track&event=Order%20Completed");
        Assert.Equal(2, orders.GetProperty("events").GetArrayLength());
        Assert.Equal(HttpStatusCode.BadRequest, (await reader.GetAsync($"/v1/profiles/{id}/events?type=purchase")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await reader.GetAsync("/v1/profiles/p-none/events")).StatusCode);
    }

    [Fact]
    public async Task Given_a_trait_that_changed_when_reading_as_of_an_earlier_instant_and_its_history_then_both_show_the_past()
    {
        var id = "p" + Guid.NewGuid().ToString("N");
        await PublishAndWaitAsync(id, Resolved(id, "identify", traits: """{"plan":"free"}""", at: DateTimeOffset.UtcNow.AddMinutes(-10)), 1);
        await Task.Delay(200);
        var between = DateTimeOffset.UtcNow;
        await Task.Delay(200);
        await PublishAndWaitAsync(id, Resolved(id, "identify", traits: """{"plan":"pro"}"""), 2);
        var reader = fixture.Reader();

        var past = await reader.GetFromJsonAsync<JsonElement>($"/v1/profiles/{id}?asOf={Uri.EscapeDataString(between.ToString("O"))}");
        var now = await reader.GetFromJsonAsync<JsonElement>($"/v1/profiles/{id}");
        Assert.Equal("free", past.GetProperty("traits").GetProperty("plan").GetString());
        Assert.Equal(1, past.GetProperty("eventCount").GetInt32());
        Assert.Equal("pro", now.GetProperty("traits").GetProperty("plan").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await reader.GetAsync($"/v1/profiles/{id}?asOf=2000-01-01T00:00:00Z")).StatusCode);

        var history = await reader.GetFromJsonAsync<JsonElement>($"/v1/profiles/{id}/traits/plan/history");
        Assert.Equal(["pro", "free"], history.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("value").GetString()));
        Assert.Equal("dev", history.GetProperty("history")[0].GetProperty("sourceId").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await reader.GetAsync($"/v1/profiles/{id}/traits/nope/history")).StatusCode);
    }
}

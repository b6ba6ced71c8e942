using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Cdp.Contracts;
using Cdp.Contracts.Identity;
using Cdp.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Cdp.ProfileProjection.Tests.Profiles;

public sealed class ProfileFixture() : ServiceFixture<Program>("profiles", "Cdp.Contracts.Profiles:ProfilesChanged", probedEntries: "changes")
{
    public BusProbe Changes => Probe;

    public HttpClient Reader(string token = "dev-read-token") => BearerClient(token);

    public async Task<JsonElement?> ProfileAsync(string id)
    {
        var response = await Reader().GetAsync($"/v1/profiles/{id}");
        return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonElement>() : null;
    }
}

public class ProfileRecordingTests(ProfileFixture fixture) : IClassFixture<ProfileFixture>
{
    private static EventResolved Resolved(string profileId, string userId, string? traits = null, string? messageId = null) =>
        new(profileId, Events.Collected(type: traits is null ? "track" : "identify", userId: userId, traits: traits, messageId: messageId),
            [new Identifier("user_id", userId)], []);

    [Fact]
    public async Task Given_a_resolved_event_when_recorded_then_the_profile_shows_it_and_ProfileChanged_carries_the_snapshot()
    {
        var profileId = "p" + Guid.NewGuid().ToString("N");
        await fixture.PublishAsync(Resolved(profileId, "ann", """{"email":"ann@example.com","score":9.50}"""));

        var profile = await Eventually.GetAsync(async () => (await fixture.ProfileAsync(profileId))?.ToString());
        var json = JsonDocument.Parse(profile).RootElement;
        Assert.Equal("ann@example.com", json.GetProperty("traits").GetProperty("email").GetString());
        Assert.Equal("9.50", json.GetProperty("traits").GetProperty("score").GetRawText());
        Assert.Equal("dev", json.GetProperty("traitSources").GetProperty("email").GetProperty("sourceId").GetString());

        var changed = await fixture.Changes.WaitForAsync(d => d.Message.GetProperty("profileId").GetString() == profileId);
        Assert.Equal("ann", changed.Message.GetProperty("snapshot").GetProperty("identifiers").GetProperty("user_id")[0].GetString());
        Assert.Contains("email", changed.Message.GetProperty("changedTraits").EnumerateArray().Select(t => t.GetString()));
    }

    // The snapshot of a profile the recording has just committed reaches the publisher without a read: folded from its
    // events when the profile is new, the read one evolved in place when not. Either way it must be what the store holds.
    [Fact]
    public async Task Given_a_new_profile_and_then_more_events_when_recorded_then_each_ProfileChanged_carries_what_the_store_holds()
    {
        var profileId = "p" + Guid.NewGuid().ToString("N");
        EventResolved Order() => new(profileId, Events.Collected(userId: "cat", eventName: "Order Completed"), [new Identifier("user_id", "cat")], []);
        var sent = new[] { Order(), Resolved(profileId, "cat", """{"plan":"pro"}"""), Order() };

        var snapshots = new List<JsonElement>();
        foreach (var resolved in sent)
        {
            await fixture.PublishAsync(resolved);
            var changed = await fixture.Changes.WaitForAsync(d => d.Message.GetProperty("profileId").GetString() == profileId
                && d.Message.GetProperty("messageId").GetString() == resolved.Event.MessageId, what: $"ProfileChanged for {resolved.Event.MessageId}");
            snapshots.Add(changed.Message.GetProperty("snapshot"));
        }

        Assert.Equal([1, 2, 3], snapshots.Select(s => s.GetProperty("eventCount").GetInt64()));
        Assert.Equal([1, 1, 2], snapshots.Select(s => s.GetProperty("computedTraits").GetProperty("orders").GetDouble()));
        Assert.All(snapshots, s => Assert.Equal("cat", s.GetProperty("identifiers").GetProperty("user_id").EnumerateArray().Single().GetString()));
        Assert.Equal(["", "pro", "pro"], snapshots.Select(s => s.GetProperty("traits").TryGetProperty("plan", out var plan) ? plan.GetString() : ""));
        var stored = (await fixture.ProfileAsync(profileId))!.Value;
        Assert.Equal(3, stored.GetProperty("eventCount").GetInt64());
        // One stored event per event: the identifier the first one linked came with it, not as an event of its own.
        Assert.Equal(3, stored.GetProperty("version").GetInt64());
        Assert.Equal(2, stored.GetProperty("computedTraits").GetProperty("orders").GetDouble());
    }

    [Fact]
    public async Task Given_the_same_event_twice_when_recorded_then_it_counts_once()
    {
        var profileId = "p" + Guid.NewGuid().ToString("N");
        var first = Resolved(profileId, "bob");
        await fixture.PublishAsync(first);
        await fixture.PublishAsync(first);
        await fixture.PublishAsync(Resolved(profileId, "bob"));
        await Eventually.TrueAsync(async () => await fixture.ProfileAsync(profileId) is { } p && p.GetProperty("eventCount").GetInt32() >= 2);
        await fixture.Environment.WaitForQuietQueuesAsync();

        Assert.Equal(2, (await fixture.ProfileAsync(profileId))!.Value.GetProperty("eventCount").GetInt32());
    }

    [Fact]
    public async Task Given_an_identifier_when_looked_up_then_its_profile_is_returned()
    {
        var profileId = "p" + Guid.NewGuid().ToString("N");
        var user = "carl-" + Guid.NewGuid();
        await fixture.PublishAsync(Resolved(profileId, user));

        var found = await Eventually.GetAsync(async () =>
        {
            var r = await fixture.Reader().GetAsync($"/v1/profiles?identifier=user_id:{user}");
            return r.IsSuccessStatusCode ? await r.Content.ReadAsStringAsync() : null;
        });
        Assert.Equal(profileId, JsonDocument.Parse(found).RootElement.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Given_no_or_a_wrong_token_when_reading_then_401()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.Factory.CreateClient().GetAsync("/v1/profiles/x")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.Reader("nope").GetAsync("/v1/profiles/x")).StatusCode);
    }

    [Fact]
    public async Task Given_an_unknown_id_when_reading_then_404_names_it()
    {
        var response = await fixture.Reader().GetAsync("/v1/profiles/p-missing");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("p-missing", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }
}

using System.Net.Http.Json;
using System.Text.Json;
using Cdp.Contracts;
using Cdp.Contracts.Identity;
using Cdp.ProfileProjection.Profiles;
using Cdp.Testing;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Cdp.ProfileProjection.Tests.Profiles;

public class MergingTests(ProfileFixture fixture) : IClassFixture<ProfileFixture>
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.UtcNow.AddHours(-1);

    private static EventResolved Identify(string profileId, string userId, string traits, DateTimeOffset at) =>
        new(profileId, Events.Collected(type: "identify", userId: userId, traits: traits, timestamp: at), [new Identifier("user_id", userId)], []);

    [Fact]
    public async Task Given_two_profiles_when_merged_then_the_survivor_absorbs_the_other_and_old_ids_and_late_events_follow()
    {
        var survivor = "p" + Guid.NewGuid().ToString("N");
        var merged = "p" + Guid.NewGuid().ToString("N");
        await fixture.PublishAsync(Identify(survivor, "s-" + survivor, """{"plan":"free","city":"Oslo"}""", T0));
        await fixture.PublishAsync(Identify(merged, "m-" + merged, """{"plan":"pro","tier":"gold"}""", T0.AddMinutes(5)));
        await Eventually.TrueAsync(async () => await fixture.ProfileAsync(survivor) is not null && await fixture.ProfileAsync(merged) is not null);

        var merge = new ProfilesMerged(survivor, merged, Guid.NewGuid().ToString(), new Identifier("user_id", "m-" + merged), DateTimeOffset.UtcNow);
        await fixture.PublishAsync(merge);
        var viaOldId = await Eventually.GetAsync(async () =>
            await fixture.ProfileAsync(merged) is { } p && p.GetProperty("id").GetString() == survivor ? p.ToString() : null, what: "the merge");

        var profile = JsonDocument.Parse(viaOldId).RootElement;
        Assert.Equal("pro", profile.GetProperty("traits").GetProperty("plan").GetString());
        Assert.Equal("Oslo", profile.GetProperty("traits").GetProperty("city").GetString());
        Assert.Equal("gold", profile.GetProperty("traits").GetProperty("tier").GetString());
        Assert.Equal(2, profile.GetProperty("eventCount").GetInt32());
        Assert.Equal(2, profile.GetProperty("identifiers").GetProperty("user_id").GetArrayLength());

        // A late event for the merged id, and the merge delivered again.
        await fixture.PublishAsync(Identify(merged, "m-" + merged, """{"late":true}""", T0.AddMinutes(10)));
        await fixture.PublishAsync(merge);
        await Eventually.TrueAsync(async () => (await fixture.ProfileAsync(survivor))!.Value.GetProperty("traits").TryGetProperty("late", out _));
        await fixture.Environment.WaitForQuietQueuesAsync();

        var after = (await fixture.ProfileAsync(survivor))!.Value;
        Assert.Equal(3, after.GetProperty("eventCount").GetInt32());
        var lookup = await fixture.Reader().GetFromJsonAsync<JsonElement>($"/v1/profiles?identifier=user_id:m-{merged}");
        Assert.Equal(survivor, lookup.GetProperty("id").GetString());
        var timeline = await fixture.Reader().GetFromJsonAsync<JsonElement>($"/v1/profiles/{merged}/events");
        Assert.Equal(3, timeline.GetProperty("events").GetArrayLength());
        Assert.Contains(timeline.GetProperty("events").EnumerateArray(), e => e.GetProperty("streamId").GetString() == merged);
        var exit = await fixture.Changes.WaitForAsync(d => d.Message.GetProperty("profileId").GetString() == merged
            && d.Message.TryGetProperty("mergedInto", out var into) && into.GetString() == survivor);
        Assert.NotNull(exit);

        // Both profiles as stored are their streams folded by Marten's projection, at their streams' versions: the merge,
        // like the recording, appends in one statement and evolves the profiles itself.
        await using var session = fixture.Factory.Services.GetRequiredService<IDocumentStore>().QuerySession();
        foreach (var id in new[] { survivor, merged })
        {
            var (folded, revision, streamVersion) = await ProjectedDocuments.AssertStoredIsFoldedAsync<CustomerProfile>(session, id);
            Assert.Equal([folded.Version, folded.Version], [revision, streamVersion]);
        }
    }

    [Fact]
    public async Task Given_a_chain_of_merges_and_two_into_one_survivor_sent_at_once_then_the_first_profile_holds_all_four()
    {
        // Sent together, they are carried out in one group where they can be: a merge that needs another's outcome
        // (b into a, then c into b; d into a as well) waits for the next transaction of the group.
        var ids = Enumerable.Range(0, 4).Select(_ => "p" + Guid.NewGuid().ToString("N")).ToArray();
        var (a, b, c, d) = (ids[0], ids[1], ids[2], ids[3]);
        for (var i = 0; i < 4; i++)
        {
            await fixture.PublishAsync(Identify(ids[i], "u-" + ids[i], $$"""{"trait{{i}}":{{i}}}""", T0.AddMinutes(i)));
        }
        await Eventually.TrueAsync(async () => (await Task.WhenAll(ids.Select(fixture.ProfileAsync))).All(p => p is not null));

        ProfilesMerged Merge(string survivor, string merged) =>
            new(survivor, merged, Guid.NewGuid().ToString(), new Identifier("user_id", "u-" + merged), DateTimeOffset.UtcNow);
        await Task.WhenAll(fixture.PublishAsync(Merge(a, b)), fixture.PublishAsync(Merge(b, c)), fixture.PublishAsync(Merge(a, d)));

        var merged = await Eventually.GetAsync(async () =>
            await fixture.ProfileAsync(a) is { } p && p.GetProperty("eventCount").GetInt32() == 4 ? p.ToString() : null, what: "all four in a");
        await fixture.Environment.WaitForQuietQueuesAsync();
        var profile = JsonDocument.Parse(merged).RootElement;
        Assert.Equal(4, profile.GetProperty("identifiers").GetProperty("user_id").GetArrayLength());
        for (var i = 0; i < 4; i++) Assert.Equal(i, profile.GetProperty("traits").GetProperty($"trait{i}").GetInt32());
        foreach (var id in new[] { b, c, d })
        {
            var lookup = await fixture.Reader().GetFromJsonAsync<JsonElement>($"/v1/profiles?identifier=user_id:u-{id}");
            Assert.Equal(a, lookup.GetProperty("id").GetString());
        }
        Assert.Equal(4, (await fixture.ProfileAsync(a))!.Value.GetProperty("eventCount").GetInt32());
    }
}

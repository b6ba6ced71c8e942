using System.Text;
using System.Text.Json;
using Cdp.Contracts;
using Cdp.Contracts.Identity;
using Cdp.ProfileProjection.Profiles;
using Cdp.Testing;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;

namespace Cdp.ProfileProjection.Tests.Profiles;

/// EventsResolved, what IdentityResolution publishes: several events to a message, each recorded as if sent alone.
public class ResolvedBatchTests(ProfileFixture fixture) : IClassFixture<ProfileFixture>
{
    private static EventResolved Resolved(string profileId, string type = "track") =>
        new(profileId, Events.Collected(type: type, userId: "u-" + profileId, eventName: "Viewed"), [new Identifier("user_id", "u-" + profileId)], []);

    [Fact]
    public async Task Given_a_message_with_several_events_when_consumed_then_each_profile_records_its_event_once_and_a_redelivery_changes_nothing()
    {
        var ids = Enumerable.Range(0, 5).Select(_ => "p" + Guid.NewGuid().ToString("N")).ToList();
        var batch = new EventsResolved([.. ids.Select(id => Resolved(id)), Resolved(ids[0])]);
        await fixture.PublishAsync(batch);
        await fixture.PublishAsync(batch);

        foreach (var id in ids)
        {
            await fixture.Changes.WaitForAsync(d => d.Message.GetProperty("profileId").GetString() == id, what: $"ProfileChanged for {id}");
        }
        await fixture.Environment.WaitForQuietQueuesAsync();
        Assert.Equal(2, (await fixture.ProfileAsync(ids[0]))!.Value.GetProperty("eventCount").GetInt32());
        foreach (var id in ids.Skip(1))
        {
            Assert.Equal(1, (await fixture.ProfileAsync(id))!.Value.GetProperty("eventCount").GetInt32());
        }

        // Stored as Marten's projection folds it from the stream (the recording evolves the profiles itself), with the
        // stream's version as its revision, as the inline projection leaves it, for two events recorded at once as well
        // (Marten reads the revision as how far the document is projected).
        await using var session = fixture.Factory.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var (_, revision, streamVersion) = await ProjectedDocuments.AssertStoredIsFoldedAsync<CustomerProfile>(session, ids[0]);
        Assert.Equal([2L, 2L], [revision, streamVersion]);
    }

    // Entries are counted into messages by their compact JSON (MessageBatches); the envelope must be written that way too.
    [Fact]
    public async Task Given_a_page_of_profiles_with_large_snapshots_when_published_then_every_ProfilesChanged_stays_under_64_KB()
    {
        var ids = Enumerable.Range(0, 100).Select(_ => "p" + Guid.NewGuid().ToString("N")).ToList();
        var bio = JsonSerializer.Serialize(new { bio = new string('b', 400) });
        await fixture.PublishAsync(new EventsResolved([.. ids.Select(id => new EventResolved(id,
            Events.Collected(type: "identify", userId: "u-" + id, traits: bio), [new Identifier("user_id", "u-" + id)], []))]));

        var carried = new List<BusProbe.Delivery>();
        foreach (var id in ids)
        {
            carried.Add(await fixture.Changes.WaitForAsync(d => d.Message.GetProperty("profileId").GetString() == id, what: $"ProfileChanged for {id}"));
        }

        // Each entry is a delivery of its own; the message that carried it is the one with its message id.
        var messages = carried.DistinctBy(d => d.MessageId).Select(d => d.Raw).ToList();
        Assert.True(messages.Count > 1, $"100 snapshots of over 400 bytes each came in {messages.Count} message(s)");
        Assert.All(messages, raw => Assert.True(raw.Length < 64 * 1024, $"a ProfilesChanged of {raw.Length:N0} bytes"));
    }

    [Fact]
    public async Task Given_one_poison_event_in_a_message_when_consumed_then_the_others_are_recorded_and_it_alone_lands_in_the_error_queue()
    {
        var good = Enumerable.Range(0, 3).Select(_ => "p" + Guid.NewGuid().ToString("N")).ToList();
        var poisonProfile = "p" + Guid.NewGuid().ToString("N");
        await fixture.PublishAsync(new EventsResolved([Resolved(good[0]), Resolved(poisonProfile, type: "bogus"), Resolved(good[1]), Resolved(good[2])]));

        foreach (var id in good)
        {
            await Eventually.TrueAsync(async () => await fixture.ProfileAsync(id) is not null, what: $"profile {id}");
        }
        var faulted = await Eventually.GetAsync(() => QueueReads.TakeAsync(fixture.Environment.RabbitMq, "profiles-events-resolved_error"),
            what: "the poison event in the error queue");
        var entries = JsonDocument.Parse(faulted.Body).RootElement.GetProperty("message").GetProperty("events");
        Assert.Equal(poisonProfile, Assert.Single(entries.EnumerateArray()).GetProperty("profileId").GetString());
        Assert.Contains("bogus", Encoding.UTF8.GetString((byte[])faulted.BasicProperties.Headers!["MT-Fault-Message"]!));
        Assert.Null(await fixture.ProfileAsync(poisonProfile));
    }
}

using System.Text.Json;
using Cdp.Contracts.Collector;
using Cdp.Testing;
using RabbitMQ.Client;

namespace Cdp.IdentityResolution.Tests.Identities.Resolving;

/// EventsCollected, what the Collector publishes: several events to a message, each resolved as if sent alone.
public class CollectedBatchTests(IdentityFixture fixture) : IClassFixture<IdentityFixture>
{
    private static string MessageIdOf(BusProbe.Delivery d) => d.Message.GetProperty("event").GetProperty("messageId").GetString()!;

    [Fact]
    public async Task Given_a_message_with_several_events_twice_when_resolved_then_each_is_resolved_once_and_a_poison_one_alone_lands_in_the_error_queue()
    {
        var anonymous = Guid.NewGuid().ToString();
        var good = new List<EventCollected>
        {
            Events.Collected(anonymousId: anonymous),
            Events.Collected(userId: "u-" + anonymous, anonymousId: anonymous),
            Events.Collected(userId: "other-" + anonymous),
        };
        // A string PostgreSQL cannot store (U+0000): it fails every time.
        var poison = Events.Collected(userId: "poison-" + anonymous, traits: """{"name":"a\u0000b"}""", type: "identify");
        var message = new EventsCollected([good[0], poison, good[1], good[2]]);

        var faults = await Faults.SubscribeAsync(fixture.Environment.RabbitMq, "Cdp.Contracts.Collector:EventsCollected");
        await fixture.PublishAsync(message);
        await fixture.PublishAsync(message);
        foreach (var e in good)
        {
            await fixture.Resolved.WaitForAsync(d => MessageIdOf(d) == e.MessageId, what: $"{e.MessageId} resolved");
        }
        // Each copy of the message isolates its poison entry: two messages in the error queue, each with it alone.
        var faulted = new List<JsonElement>();
        await Eventually.TrueAsync(async () =>
        {
            if (await QueueReads.TakeAsync(fixture.Environment.RabbitMq, "identity-events-collected_error") is { } got)
            {
                faulted.Add(JsonDocument.Parse(got.Body).RootElement.Clone());
            }
            return faulted.Count == 2;
        }, what: "both copies of the poison event in the error queue");
        // And a fault for each, as for a whole message that fails: the poison alone, with PostgreSQL's reason.
        foreach (var _ in faulted)
        {
            var fault = await Faults.TakeAsync(fixture.Environment.RabbitMq, faults);
            Assert.Equal(poison.MessageId, Assert.Single(fault.GetProperty("message").GetProperty("events").EnumerateArray()).GetProperty("messageId").GetString());
            Assert.Contains("22P05", fault.GetProperty("exceptions")[0].GetRawText());
        }
        Assert.Null(await QueueReads.TakeAsync(fixture.Environment.RabbitMq, faults));
        await fixture.Environment.WaitForQuietQueuesAsync();

        Assert.All(faulted, f => Assert.Equal(poison.MessageId,
            Assert.Single(f.GetProperty("message").GetProperty("events").EnumerateArray()).GetProperty("messageId").GetString()));
        foreach (var e in good)
        {
            Assert.Single(fixture.Resolved.Received, d => MessageIdOf(d) == e.MessageId);
        }
        var profiles = fixture.Resolved.Received.Where(d => good.Take(2).Any(e => e.MessageId == MessageIdOf(d)))
            .Select(d => d.Message.GetProperty("profileId").GetString()).Distinct();
        Assert.Single(profiles);
    }
}

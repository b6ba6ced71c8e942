using System.Text;
using System.Text.Json;
using Cdp.Contracts.Collector;
using Cdp.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;

namespace Cdp.IdentityResolution.Tests.Identities.Resolving;

public class PoisonMessageTests(IdentityFixture fixture) : IClassFixture<IdentityFixture>
{
    [Fact]
    public async Task Given_one_poison_message_in_a_batch_when_consumed_then_it_alone_lands_in_the_error_queue_with_its_reason_the_rest_resolve_and_it_can_be_redriven()
    {
        // A producer past the Collector sent a string PostgreSQL cannot store (U+0000): it fails every time.
        var poison = Events.Collected(userId: $"poison-{Guid.NewGuid():N}", traits: """{"name":"a\u0000b"}""", type: "identify");
        var good = Enumerable.Range(0, 20).Select(i => Events.Collected(userId: $"good-{Guid.NewGuid():N}-{i}")).ToList();
        var faults = await Faults.SubscribeAsync(fixture.Environment.RabbitMq, "Cdp.Contracts.Collector:EventCollected");
        var bus = fixture.Factory.Services.GetRequiredService<IBus>();
        await Task.WhenAll(good.Take(10).Select(e => bus.Publish(e)).Append(bus.Publish(poison)).Concat(good.Skip(10).Select(e => bus.Publish(e))));

        foreach (var e in good)
        {
            await fixture.Probe.WaitForAsync(d => d.Message.GetProperty("event").GetProperty("messageId").GetString() == e.MessageId,
                what: $"{e.MessageId} resolved");
        }

        var factory = new ConnectionFactory { Uri = fixture.Environment.RabbitMq };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        // The poison may arrive after every good message (they are published at once), so its error queue may not exist
        // yet when the good ones are done.
        var faulted = await Eventually.GetAsync(() => QueueReads.TakeAsync(fixture.Environment.RabbitMq, "identity-event-collected_error"),
            what: "the poison message in the error queue");
        var body = JsonDocument.Parse(faulted.Body).RootElement;
        Assert.Equal(poison.MessageId, body.GetProperty("message").GetProperty("messageId").GetString());
        var reason = Encoding.UTF8.GetString((byte[])faulted.BasicProperties.Headers!["MT-Fault-Message"]!);
        Assert.Contains("22P05", reason);
        Assert.Null(await channel.BasicGetAsync("identity-event-collected_error", autoAck: true));
        var fault = await Faults.TakeAsync(fixture.Environment.RabbitMq, faults);
        Assert.Equal(poison.MessageId, fault.GetProperty("message").GetProperty("messageId").GetString());
        Assert.Contains("22P05", fault.GetProperty("exceptions")[0].GetRawText());

        // The operator's fix (here: the offending character removed), then the re-drive: back onto the input queue.
        var fixedBody = Encoding.UTF8.GetString(faulted.Body.Span).Replace("a\\u0000b", "ab");
        Assert.DoesNotContain("\\u0000", fixedBody);
        var properties = new BasicProperties
        {
            ContentType = faulted.BasicProperties.ContentType, MessageId = faulted.BasicProperties.MessageId,
            DeliveryMode = DeliveryModes.Persistent, Headers = faulted.BasicProperties.Headers,
        };
        await channel.BasicPublishAsync("", "identity-event-collected", false, properties, Encoding.UTF8.GetBytes(fixedBody));
        var resolved = await fixture.Probe.WaitForAsync(d => d.Message.GetProperty("event").GetProperty("messageId").GetString() == poison.MessageId,
            what: "the re-driven message resolved");
        Assert.Equal("ab", resolved.Message.GetProperty("event").GetProperty("message").GetProperty("traits").GetProperty("name").GetString());
    }
}

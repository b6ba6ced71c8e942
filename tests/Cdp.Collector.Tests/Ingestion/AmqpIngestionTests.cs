using System.Text;
using Cdp.Collector.Ingestion;
using Cdp.Testing;
using RabbitMQ.Client;

namespace Cdp.Collector.Tests.Ingestion;

public class AmqpIngestionTests(CollectorFixture fixture) : IClassFixture<CollectorFixture>
{
    private async Task PublishRawAsync(byte[] body, string? writeKey, string? amqpMessageId = null)
    {
        var factory = new ConnectionFactory { Uri = fixture.Environment.RabbitMq };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        // The Collector declares the exchange, then its queue, binds them, then consumes: wait for its consumer, since an
        // exchange without the binding yet returns the message (NO_ROUTE).
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                await using var check = await connection.CreateChannelAsync();
                return (await check.QueueDeclarePassiveAsync(AmqpIngestion.Queue)).ConsumerCount > 0;
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
            {
                return false;
            }
        }, what: "the Collector consuming its ingest queue");
        var properties = new BasicProperties { Persistent = true, ContentType = "application/json", MessageId = amqpMessageId };
        if (writeKey is not null) properties.Headers = new Dictionary<string, object?> { [AmqpIngestion.WriteKeyHeader] = writeKey };
        await channel.BasicPublishAsync(AmqpIngestion.Exchange, "web.events", true, properties, body);
    }

    private async Task<BasicGetResult> NextRejectedAsync()
    {
        var factory = new ConnectionFactory { Uri = fixture.Environment.RabbitMq };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        return await Eventually.GetAsync(() => channel.BasicGetAsync(AmqpIngestion.RejectedQueue, autoAck: true), what: "a rejected message");
    }

    [Fact]
    public async Task Given_a_raw_segment_batch_on_the_ingest_exchange_when_consumed_then_each_event_is_collected()
    {
        var ids = new[] { Guid.NewGuid().ToString(), Guid.NewGuid().ToString() };
        var body = $$$"""{"batch":[{"type":"track","messageId":"{{{ids[0]}}}","userId":"amqp-user","event":"Shipped","properties":{"weight":1.250}},{"type":"identify","messageId":"{{{ids[1]}}}","userId":"amqp-user","traits":{"tier":"gold"}}]}""";

        await PublishRawAsync(Encoding.UTF8.GetBytes(body), "crm-key");

        foreach (var id in ids)
        {
            var delivery = await fixture.Collected.WaitForAsync(d => d.Message.GetProperty("messageId").GetString() == id);
            Assert.Equal("crm", delivery.Message.GetProperty("sourceId").GetString());
        }
        var shipped = fixture.Collected.Received.Single(d => d.Message.GetProperty("messageId").GetString() == ids[0]);
        Assert.Equal("1.250", shipped.Message.GetProperty("message").GetProperty("properties").GetProperty("weight").GetRawText());
    }

    [Fact]
    public async Task Given_an_invalid_message_when_consumed_then_it_lands_in_the_rejected_queue_byte_for_byte_with_the_reason()
    {
        var marker = Guid.NewGuid().ToString();
        var body = Encoding.UTF8.GetBytes($$$"""{"type":"track","userId":"u","properties":{"marker":"{{{marker}}}"}}""");

        await PublishRawAsync(body, "crm-key");

        var rejected = await NextRejectedAsync();
        Assert.Equal(body, rejected.Body.ToArray());
        var reason = Encoding.UTF8.GetString((byte[])rejected.BasicProperties.Headers!["x-cdp-reason"]!);
        Assert.Contains("event", reason);
        Assert.Equal(400, Convert.ToInt32(rejected.BasicProperties.Headers!["x-cdp-status"]));
    }

    [Fact]
    public async Task Given_the_same_message_without_event_ids_delivered_twice_then_the_generated_ids_repeat_so_downstream_dedupes()
    {
        var marker = Guid.NewGuid().ToString();
        var body = Encoding.UTF8.GetBytes($$$"""{"type":"track","userId":"u","event":"Redelivered","properties":{"marker":"{{{marker}}}"}}""");

        await PublishRawAsync(body, "crm-key", amqpMessageId: marker);
        await PublishRawAsync(body, "crm-key", amqpMessageId: marker);

        bool Match(Cdp.Testing.BusProbe.Delivery d) =>
            d.Message.GetProperty("message").TryGetProperty("properties", out var p) && p.TryGetProperty("marker", out var m) && m.GetString() == marker;
        // At least twice: the Collector's publish is at least once too.
        await Eventually.TrueAsync(() => Task.FromResult(fixture.Collected.Received.Count(Match) >= 2));
        Assert.Single(fixture.Collected.Received.Where(Match).Select(d => d.Message.GetProperty("messageId").GetString()).Distinct());
    }

    [Fact]
    public async Task Given_a_message_with_duplicate_keys_when_consumed_then_it_is_rejected_not_stuck()
    {
        var body = Encoding.UTF8.GetBytes("""{"type":"track","userId":"a","userId":"b","event":"Dup"}""");

        await PublishRawAsync(body, "crm-key");

        var rejected = await NextRejectedAsync();
        Assert.Equal(body, rejected.Body.ToArray());
        Assert.False(rejected.BasicProperties.Headers!.ContainsKey(AmqpIngestion.WriteKeyHeader), "the write key must not be copied to the rejected queue");
    }

    [Fact]
    public async Task Given_no_write_key_when_consumed_then_the_message_is_rejected_as_unauthorized()
    {
        var body = Encoding.UTF8.GetBytes("""{"type":"track","userId":"u","event":"NoKey"}""");

        await PublishRawAsync(body, writeKey: null);

        var rejected = await NextRejectedAsync();
        Assert.Equal(401, Convert.ToInt32(rejected.BasicProperties.Headers!["x-cdp-status"]));
        Assert.Equal(body, rejected.Body.ToArray());
    }
}

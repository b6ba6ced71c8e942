using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Cdp.Benchmarks;

/// An activation consumer as a user would write one: a durable quorum queue of its own, bound to the audience-changes
/// topic exchange for the given audience keys, acknowledging each change after <c>onChange</c> has seen it.
public static class AudienceSubscriber
{
    private const string Exchange = "cdp.audience-changes";

    public static async Task<IAsyncDisposable> SubscribeAsync(Uri rabbitMq, string queue, IEnumerable<string> audienceKeys, Action<ReadOnlyMemory<byte>> onChange)
    {
        var connection = await new ConnectionFactory { Uri = rabbitMq }.CreateConnectionAsync();
        var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync(Exchange, ExchangeType.Topic, durable: true);
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });
        // Topic wildcards match whole dot-separated words, so each audience key is bound on its own.
        foreach (var key in audienceKeys) await channel.QueueBindAsync(queue, Exchange, $"{key}.*");
        await channel.BasicQosAsync(0, 500, false);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, d) =>
        {
            onChange(d.Body);
            await channel.BasicAckAsync(d.DeliveryTag, multiple: false);
        };
        await channel.BasicConsumeAsync(queue, autoAck: false, consumer);
        return connection;
    }
}

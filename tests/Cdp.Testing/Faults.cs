using RabbitMQ.Client;

namespace Cdp.Testing;

/// Faults as an operator's alerting hears of them: a queue bound to the exchange MassTransit publishes a message type's
/// <c>Fault&lt;T&gt;</c> to. Read it with <see cref="QueueReads.TakeAsync"/>.
public static class Faults
{
    /// Binds a new queue to the faults of <paramref name="messageType"/> (its URN name, e.g.
    /// <c>Cdp.Contracts.Collector:EventCollected</c>) and returns the queue's name.
    public static async Task<string> SubscribeAsync(Uri broker, string messageType)
    {
        var exchange = $"MassTransit:Fault--{messageType}--";
        var queue = $"faults-{Guid.NewGuid():N}";
        await using var connection = await new ConnectionFactory { Uri = broker }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true);
        await channel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: false);
        await channel.QueueBindAsync(queue, exchange, "");
        return queue;
    }
}

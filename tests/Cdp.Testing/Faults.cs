using System.Text.Json;
using RabbitMQ.Client;

namespace Cdp.Testing;

/// Faults as an operator's alerting hears of them: a queue bound to the exchange MassTransit publishes a message type's
/// <c>Fault&lt;T&gt;</c> to.
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

    /// Waits for the next fault on <paramref name="queue"/> and takes it: the fault itself (<c>message</c>, the failed
    /// message, and <c>exceptions</c>), out of MassTransit's envelope.
    public static async Task<JsonElement> TakeAsync(Uri broker, string queue)
    {
        var delivered = await Eventually.GetAsync(() => QueueReads.TakeAsync(broker, queue), what: $"a fault on {queue}");
        return JsonDocument.Parse(delivered.Body).RootElement.GetProperty("message").Clone();
    }
}

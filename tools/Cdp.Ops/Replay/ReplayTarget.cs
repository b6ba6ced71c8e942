using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Cdp.Ops.Replay;

/// A queue (published through the default exchange) or an exchange, on a channel with publisher confirms:
/// each publish completes when the broker has the message, many in flight at once.
public sealed class ReplayTarget : IAsyncDisposable
{
    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private readonly string _exchange;
    private readonly string _routingKey;

    private ReplayTarget(IConnection connection, IChannel channel, string exchange, string routingKey)
    {
        (_connection, _channel, _exchange, _routingKey) = (connection, channel, exchange, routingKey);
    }

    public string Name => _exchange == "" ? $"queue {_routingKey}" : $"exchange {_exchange}";

    public static async Task<ReplayTarget> OpenAsync(Uri rabbitMq, string? queue, string? exchange, string? routingKey, bool create, CancellationToken ct)
    {
        var factory = new ConnectionFactory { Uri = rabbitMq, ClientProvidedName = "cdp-ops replay" };
        IConnection connection;
        try
        {
            connection = await factory.CreateConnectionAsync(ct);
        }
        catch (BrokerUnreachableException e)
        {
            throw new UnreachableException($"RabbitMQ at {rabbitMq.Host}:{rabbitMq.Port} did not answer ({e.InnerException?.Message ?? e.Message}). " +
                                           "Fix: start it (./cdp infra up) or pass --rabbitmq.", e);
        }
        var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct);
        try
        {
            if (queue is not null)
            {
                if (create) await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, cancellationToken: ct);
                else await channel.QueueDeclarePassiveAsync(queue, ct);
            }
            else
            {
                if (create) await channel.ExchangeDeclareAsync(exchange!, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: ct);
                else await channel.ExchangeDeclarePassiveAsync(exchange!, ct);
            }
        }
        catch (OperationInterruptedException e)
        {
            await connection.DisposeAsync();
            var what = queue is not null ? $"queue '{queue}'" : $"exchange '{exchange}'";
            throw new UsageException(e.ShutdownReason?.ReplyCode == 404
                ? $"{what} does not exist on RabbitMQ. Fix: add --create to declare it (durable), or check the name."
                : $"RabbitMQ refused {what}: {e.ShutdownReason?.ReplyText ?? e.Message}");
        }
        return queue is not null ? new ReplayTarget(connection, channel, "", queue) : new ReplayTarget(connection, channel, exchange!, routingKey ?? "");
    }

    public Task PublishAsync(IReadOnlyList<(string MessageId, byte[] Body)> messages, CancellationToken ct) =>
        Task.WhenAll(messages.Select(m => _channel.BasicPublishAsync(_exchange, _routingKey, mandatory: false, new BasicProperties
        {
            MessageId = m.MessageId,
            ContentType = "application/json",
            Type = ReplayedEvent.AmqpType,
            DeliveryMode = DeliveryModes.Persistent,
            Timestamp = new AmqpTimestamp(DateTimeOffset.UtcNow.ToUnixTimeSeconds()),
        }, m.Body, ct).AsTask()));

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}

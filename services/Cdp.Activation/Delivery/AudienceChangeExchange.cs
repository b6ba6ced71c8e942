using Cdp.Contracts.Activation;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Cdp.Activation.Delivery;

/// The AMQP side of delivery, with the plain RabbitMQ client because consumers get bare JSON (no
/// MassTransit envelope), on a topic exchange with routing keys MassTransit does not produce.
/// Publishes are confirmed and many are in flight at once.
public sealed class AudienceChangeExchange(IConfiguration configuration) : IAsyncDisposable
{
    public sealed record Outgoing(string Exchange, string RoutingKey, string MessageId, byte[] Body, string Format);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnection? _connection;
    private IChannel? _channel;

    public async Task PublishAsync(IReadOnlyList<Outgoing> messages, CancellationToken ct)
    {
        var channel = await ChannelAsync(ct);
        try
        {
            await Task.WhenAll(messages.Select(m => channel.BasicPublishAsync(m.Exchange, m.RoutingKey, false, Properties(m), m.Body, ct).AsTask()));
        }
        catch
        {
            await ResetAsync();
            throw;
        }
    }

    /// Declares a durable quorum queue for a subscriber, bound to the exchange with <paramref name="bindingKey"/> if given.
    /// Returns the broker's complaint when an existing queue of that name has other arguments.
    public async Task<string?> DeclareQueueAsync(string queue, string? bindingKey, CancellationToken ct)
    {
        var channel = await ChannelAsync(ct);
        try
        {
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
                arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }, cancellationToken: ct);
            if (bindingKey is not null) await channel.QueueBindAsync(queue, AudienceMembershipChanged.Exchange, bindingKey, cancellationToken: ct);
            return null;
        }
        catch (OperationInterruptedException e)
        {
            await ResetAsync();
            return e.ShutdownReason?.ReplyText ?? e.Message;
        }
    }

    public async Task UnbindAsync(string queue, string bindingKey, CancellationToken ct)
    {
        var channel = await ChannelAsync(ct);
        await channel.QueueUnbindAsync(queue, AudienceMembershipChanged.Exchange, bindingKey, cancellationToken: ct);
    }

    private static BasicProperties Properties(Outgoing m) => new()
    {
        MessageId = m.MessageId,
        ContentType = "application/json",
        DeliveryMode = DeliveryModes.Persistent,
        Type = "cdp.audience-membership-changed",
        Timestamp = new AmqpTimestamp(DateTimeOffset.UtcNow.ToUnixTimeSeconds()),
        Headers = new Dictionary<string, object?> { ["cdp-format"] = m.Format },
    };

    private async Task<IChannel> ChannelAsync(CancellationToken ct)
    {
        if (_channel is { IsOpen: true } open) return open;
        await _gate.WaitAsync(ct);
        try
        {
            if (_channel is { IsOpen: true } again) return again;
            await ResetCoreAsync();
            var uri = configuration.GetConnectionString("RabbitMq")
                ?? throw new InvalidOperationException("ConnectionStrings:RabbitMq is not set.");
            var factory = new ConnectionFactory { Uri = new Uri(uri), ClientProvidedName = "activation-delivery", AutomaticRecoveryEnabled = true };
            _connection = await factory.CreateConnectionAsync(ct);
            var channel = await _connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct);
            await channel.ExchangeDeclareAsync(AudienceMembershipChanged.Exchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: ct);
            _channel = channel;
            return channel;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ResetAsync()
    {
        await _gate.WaitAsync();
        try
        {
            await ResetCoreAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ResetCoreAsync()
    {
        try
        {
            if (_channel is not null) await _channel.DisposeAsync();
            if (_connection is not null) await _connection.DisposeAsync();
        }
        catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException or IOException)
        {
            // Already gone: the next publish opens a fresh connection.
        }
        (_channel, _connection) = (null, null);
    }

    public async ValueTask DisposeAsync() => await ResetAsync();
}

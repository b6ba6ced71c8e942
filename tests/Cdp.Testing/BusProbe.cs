using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Cdp.Testing;

/// <summary>
/// Watches what services publish, as any AMQP client would: a queue of its own bound to an exchange,
/// each delivery kept as parsed JSON with its headers.
/// </summary>
public sealed class BusProbe : IAsyncDisposable
{
    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private readonly ConcurrentQueue<Delivery> _received = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private readonly Func<Task<string>>? _onTimeout;

    private BusProbe(IConnection connection, IChannel channel, Func<Task<string>>? onTimeout)
    {
        _connection = connection;
        _channel = channel;
        _onTimeout = onTimeout;
    }

    public sealed record Delivery(JsonElement Body, IDictionary<string, object?> Headers, string? MessageId, string RoutingKey, byte[] Raw)
    {
        /// <summary>The message inside a MassTransit envelope, or the body itself.</summary>
        public JsonElement Message => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("message", out var m) ? m : Body;

        public string? Header(string name) => Headers.TryGetValue(name, out var v) && v is byte[] b ? Encoding.UTF8.GetString(b) : v?.ToString();
    }

    public IReadOnlyCollection<Delivery> Received => _received.ToArray();

    /// <summary>How many deliveries have arrived, without copying them (for polling while hundreds of thousands arrive).</summary>
    public int ReceivedCount => _received.Count;

    /// <summary>
    /// Binds a new exclusive queue to <paramref name="exchange"/>, declaring the exchange (fanout unless given) if missing.
    /// For messages that carry several entries (EventsResolved, ProfilesChanged), <paramref name="entries"/> names the
    /// array: each entry is kept as a delivery of its own, with the headers of the message that carried it.
    /// </summary>
    /// <param name="onTimeout">What else to say when a wait times out, e.g. the publishing service's warnings and errors.</param>
    public static async Task<BusProbe> StartAsync(Uri rabbitMq, string exchange, string exchangeType = ExchangeType.Fanout, string routingKey = "#",
        string? entries = null, Func<Task<string>>? onTimeout = null)
    {
        var factory = new ConnectionFactory { Uri = rabbitMq };
        var connection = await factory.CreateConnectionAsync();
        var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync(exchange, exchangeType, durable: true);
        var queue = await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true);
        await channel.QueueBindAsync(queue.QueueName, exchange, routingKey);
        var probe = new BusProbe(connection, channel, onTimeout);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            var raw = delivery.Body.ToArray();
            JsonElement body;
            try
            {
                body = JsonDocument.Parse(raw).RootElement.Clone();
            }
            catch (JsonException)
            {
                body = default;
            }
            var headers = delivery.BasicProperties.Headers ?? new Dictionary<string, object?>();
            var received = new Delivery(body, headers, delivery.BasicProperties.MessageId, delivery.RoutingKey, raw);
            if (entries is not null && received.Message.ValueKind == JsonValueKind.Object && received.Message.TryGetProperty(entries, out var list))
            {
                foreach (var entry in list.EnumerateArray())
                {
                    probe._received.Enqueue(received with { Body = JsonSerializer.SerializeToElement(new { message = entry }) });
                }
            }
            else
            {
                probe._received.Enqueue(received);
            }
            probe._arrived.Release();
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(queue.QueueName, autoAck: true, consumer);
        return probe;
    }

    /// <summary>Waits until a delivery matches, or fails after <paramref name="timeout"/>.</summary>
    public async Task<Delivery> WaitForAsync(Func<Delivery, bool> match, TimeSpan? timeout = null, string? what = null)
    {
        // The same default as Eventually: a cold service's first message has taken over 20 s on a loaded CI machine.
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var found = _received.FirstOrDefault(match);
            if (found is not null) return found;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"No matching message{(what is null ? "" : $" ({what})")} arrived; {_received.Count} others did." +
                    (_onTimeout is null ? "" : Environment.NewLine + await _onTimeout()));
            }
            await _arrived.WaitAsync(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.CloseAsync();
        await _connection.CloseAsync();
        _channel.Dispose();
        _connection.Dispose();
    }
}

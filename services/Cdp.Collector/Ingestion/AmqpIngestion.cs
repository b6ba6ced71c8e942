using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cdp.ServiceDefaults.Telemetry;
using Polly;
using Polly.Retry;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Cdp.Collector.Ingestion;

/// AMQP ingestion: sources publish raw Segment-spec JSON (one event, or {"batch":[...]}) to the
/// durable `cdp.ingest` topic exchange with the write key in the `write-key` header. Each message is
/// validated exactly as over HTTP. Accepted: published as EventsCollected, then acknowledged.
/// Refused: copied byte for byte to the `collector-ingest-rejected` queue with the reason in its
/// headers, then acknowledged. Broker trouble while publishing: returned to the queue.
public sealed class AmqpIngestion(IConfiguration configuration, Intake intake, EventPublisher publisher, TimeProvider clock,
    ILogger<AmqpIngestion> logger) : BackgroundService
{
    public const string Exchange = "cdp.ingest";
    public const string Queue = "collector-ingest";
    public const string RejectedQueue = "collector-ingest-rejected";
    public const string WriteKeyHeader = "write-key";

    private static readonly Dictionary<string, object?> Quorum = new() { ["x-queue-type"] = "quorum" };

    private IConnection? _connection;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var connecting = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            Delay = TimeSpan.FromSeconds(1),
            MaxDelay = TimeSpan.FromSeconds(15),
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException),
            OnRetry = a =>
            {
                logger.LogWarning(a.Outcome.Exception, "AMQP ingestion cannot reach RabbitMQ yet (attempt {Attempt})", a.AttemptNumber + 1);
                return ValueTask.CompletedTask;
            },
        }).Build();
        var factory = new ConnectionFactory
        {
            Uri = new Uri(configuration.GetConnectionString("RabbitMq")!),
            AutomaticRecoveryEnabled = true,
            TopologyRecoveryEnabled = true,
            ClientProvidedName = "collector-amqp-ingestion",
            ConsumerDispatchConcurrency = 16,
        };
        _connection = await connecting.ExecuteAsync(async ct => await factory.CreateConnectionAsync(ct), stoppingToken);
        var channel = await _connection.CreateChannelAsync(new CreateChannelOptions(true, true), stoppingToken);
        await channel.ExchangeDeclareAsync(Exchange, ExchangeType.Topic, durable: true, cancellationToken: stoppingToken);
        await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false, arguments: Quorum, cancellationToken: stoppingToken);
        await channel.QueueDeclareAsync(RejectedQueue, durable: true, exclusive: false, autoDelete: false, arguments: Quorum, cancellationToken: stoppingToken);
        await channel.QueueBindAsync(Queue, Exchange, "#", cancellationToken: stoppingToken);
        await channel.BasicQosAsync(0, 64, false, stoppingToken);

        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) => HandleAsync(channel, delivery, stoppingToken);
        await channel.BasicConsumeAsync(Queue, autoAck: false, consumer, stoppingToken);
        logger.LogInformation("AMQP ingestion consuming {Queue} bound to exchange {Exchange}", Queue, Exchange);
        await Task.Delay(Timeout.Infinite, stoppingToken).ContinueWith(_ => { }, CancellationToken.None);
    }

    private async Task HandleAsync(IChannel channel, BasicDeliverEventArgs delivery, CancellationToken ct)
    {
        var body = delivery.Body.ToArray();
        try
        {
            IntakeResult result;
            try
            {
                result = Parse(body, delivery.BasicProperties);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Whatever a message does to the parser, it gets an outcome: never left unacknowledged.
                result = new IntakeRefused(500, "Could not process", e.Message, []);
            }
            switch (result)
            {
                case IntakeAccepted accepted:
                    await publisher.PublishAsync(accepted.Events, ct);
                    CdpMetrics.EventsAccepted.Add(accepted.Events.Count, new TagList { { "source", accepted.Source.Id }, { "transport", "amqp" } });
                    break;
                case IntakeRefused refused:
                    await RejectAsync(channel, delivery, body, refused, ct);
                    break;
            }
            await channel.BasicAckAsync(delivery.DeliveryTag, false, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Could not make the outcome of an ingested message durable; returning it to the queue");
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
                if (channel.IsOpen) await channel.BasicNackAsync(delivery.DeliveryTag, false, requeue: true, ct);
            }
            catch (Exception nack) when (nack is not OperationCanceledException)
            {
                // The channel is gone; the broker redelivers the unacknowledged message by itself.
                logger.LogWarning(nack, "Could not return the message; the broker will redeliver it");
            }
        }
    }

    private IntakeResult Parse(byte[] body, IReadOnlyBasicProperties properties)
    {
        var headers = properties.Headers;
        if (body.Length > SegmentLimits.MaxRequestBytes)
        {
            return new IntakeRefused(413, "Too large", $"The message is {body.Length} bytes; at most {SegmentLimits.MaxRequestBytes} are accepted.", []);
        }
        JsonObject json;
        try
        {
            json = JsonBody.ParseObject(body);
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" at line {line + 1}, position {e.BytePositionInLine + 1}" : "";
            return new IntakeRefused(400, "Malformed JSON", $"The message is not a valid JSON object{where}: {e.Message}", []);
        }
        var writeKey = headers is not null && headers.TryGetValue(WriteKeyHeader, out var value)
            ? value is byte[] bytes ? Encoding.UTF8.GetString(bytes) : value?.ToString()
            : null;
        // Ids generated for events without one are derived from the message, so a redelivery repeats them.
        var seed = properties.MessageId ?? Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(body));
        return intake.Accept(json, null, writeKey, clock.GetUtcNow(), "amqp:" + seed);
    }

    private static async Task RejectAsync(IChannel channel, BasicDeliverEventArgs delivery, byte[] body, IntakeRefused refused, CancellationToken ct)
    {
        var headers = new Dictionary<string, object?>
        {
            ["x-cdp-status"] = refused.Status,
            ["x-cdp-reason"] = $"{refused.Title}: {refused.Detail}",
            ["x-cdp-errors"] = JsonSerializer.Serialize(refused.Errors.Select(e => new { index = e.Index, field = e.Field, reason = e.Reason })),
            ["x-cdp-original-exchange"] = delivery.Exchange,
            ["x-cdp-original-routing-key"] = delivery.RoutingKey,
        };
        if (delivery.BasicProperties.Headers is { } original)
        {
            foreach (var (k, v) in original.Where(h => h.Key != WriteKeyHeader)) headers.TryAdd(k, v);
        }
        var properties = new BasicProperties
        {
            Persistent = true,
            Headers = headers,
            ContentType = delivery.BasicProperties.ContentType,
            MessageId = delivery.BasicProperties.MessageId,
        };
        // Awaits the broker's confirm (the channel tracks confirmations): acknowledged only once durable.
        await channel.BasicPublishAsync("", RejectedQueue, mandatory: true, properties, body, ct);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_connection is not null)
        {
            await _connection.CloseAsync(cancellationToken);
            _connection.Dispose();
        }
    }
}

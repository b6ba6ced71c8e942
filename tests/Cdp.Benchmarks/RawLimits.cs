using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Cdp.Testing;
using JasperFx;
using JasperFx.Events;
using Marten;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Spectre.Console;

namespace Cdp.Benchmarks;

/// What this machine allows for the pipeline's own work with no services in the way: Marten batched appends of
/// events shaped like the customer events, and RabbitMQ confirmed publish and consume of messages of the size of
/// an EventCollected. The activation benchmark runs these after the pipeline and prints the ratios.
public static class RawLimits
{
    /// <c>QueuedWhenMeasured</c>: messages the platform still had queued when measuring began; above zero, its services
    /// were still working and the figures are lower than the machine's limits.
    public sealed record Figures(double MartenEventsPerSecond, double RabbitMessagesPerSecond, int MessageBytes, long QueuedWhenMeasured);

    /// Stored like ProfileProjection's Tracked event: a name, properties, provenance and a timestamp.
    public sealed record RawTracked(string ProfileId, string Event, JsonElement Properties, RawProvenance Provenance, DateTimeOffset Timestamp);

    public sealed record RawProvenance(string MessageId, string SourceId, string DataParty, DateTimeOffset ReceivedAt);

    public static Command Command()
    {
        var events = new Option<int>("--events") { Description = "events appended, and messages published", DefaultValueFactory = _ => 50_000 };
        var command = new Command("raw", "This machine's limits for the pipeline's work with no services: Marten batched appends and RabbitMQ confirmed publish/consume.\n" +
                                         "Example: ./cdp bench raw --events 50000") { events };
        command.SetAction(async (r, ct) =>
        {
            var environment = await IsolatedEnvironment.CreateAsync("benchraw");
            await using var _ = environment;
            var figures = await MeasureAsync(environment, r.GetValue(events), ct);
            var table = new Table().AddColumns("figure", "value");
            table.AddRow("Marten batched appends (500 a transaction, 2 writers), events/s", $"{figures.MartenEventsPerSecond:N0}");
            table.AddRow($"RabbitMQ confirmed publish + consume of {figures.MessageBytes:N0}-byte messages, messages/s", $"{figures.RabbitMessagesPerSecond:N0}");
            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }

    public static async Task<Figures> MeasureAsync(IsolatedEnvironment environment, int count, CancellationToken ct)
    {
        var queued = (await environment.QueueDepthsAsync()).Values.Sum();
        var marten = await AnsiConsole.Status().StartAsync("raw limit: Marten batched appends", _ => MartenAsync(environment.Postgres, count, ct));
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            messageId = Guid.NewGuid(), type = "identify", userId = "customer-000001", timestamp = DateTimeOffset.UtcNow, receivedAt = DateTimeOffset.UtcNow,
            sourceId = "bench", dataParty = "first",
            message = new { type = "identify", userId = "customer-000001", traits = new { plan = "pro", email = "customer-000001@example.com" },
                context = new { library = new { name = "bench", version = "1.0" }, ip = "10.0.0.1", userAgent = new string('x', 120) } },
        });
        var rabbit = await AnsiConsole.Status().StartAsync("raw limit: RabbitMQ confirmed publish/consume", _ => RabbitAsync(environment.RabbitMq, count, body, ct));
        return new Figures(Math.Round(marten), Math.Round(rabbit), body.Length, queued);
    }

    private static async Task<double> MartenAsync(string postgres, int count, CancellationToken ct)
    {
        await using var store = DocumentStore.For(o =>
        {
            o.Connection(postgres);
            o.DatabaseSchemaName = "rawlimit";
            o.Events.DatabaseSchemaName = "rawlimit";
            o.Events.StreamIdentity = StreamIdentity.AsString;
            o.AutoCreateSchemaObjects = AutoCreate.All;
            o.Events.AddEventType<RawTracked>();
        });
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        var properties = JsonSerializer.SerializeToElement(new { revenue = 19.9, sku = "sku-1", currency = "EUR" });
        var clock = Stopwatch.StartNew();
        var next = -1;
        async Task WriterAsync()
        {
            int start;
            while ((start = Interlocked.Add(ref next, 500) - 499) < count)
            {
                await using var session = store.LightweightSession();
                foreach (var i in Enumerable.Range(start, Math.Min(500, count - start)))
                {
                    var stream = $"p{i % 2000:D6}";
                    var now = DateTimeOffset.UtcNow;
                    session.Events.Append(stream, new RawTracked(stream, "Order Completed", properties, new RawProvenance(Guid.NewGuid().ToString(), "bench", "first", now), now));
                }
                await session.SaveChangesAsync(ct);
            }
        }
        await Task.WhenAll(WriterAsync(), WriterAsync());
        return count / clock.Elapsed.TotalSeconds;
    }

    private static async Task<double> RabbitAsync(Uri rabbitMq, int count, byte[] body, CancellationToken ct)
    {
        await using var connection = await new ConnectionFactory { Uri = rabbitMq }.CreateConnectionAsync(ct);
        await using var publisher = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct);
        await using var consuming = await connection.CreateChannelAsync(cancellationToken: ct);
        // A quorum queue, as the services' queues are.
        await publisher.QueueDeclareAsync("raw-limit", durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }, cancellationToken: ct);
        await consuming.BasicQosAsync(0, 500, false, ct);
        var received = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = new AsyncEventingBasicConsumer(consuming);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            if (Interlocked.Increment(ref received) % 100 == 0 || received == count) await consuming.BasicAckAsync(delivery.DeliveryTag, multiple: true);
            if (received == count) done.TrySetResult();
        };
        await consuming.BasicConsumeAsync("raw-limit", autoAck: false, consumer, ct);
        var clock = Stopwatch.StartNew();
        var properties = new BasicProperties { DeliveryMode = DeliveryModes.Persistent, ContentType = "application/json" };
        for (var sent = 0; sent < count; sent += 1000)
        {
            await Task.WhenAll(Enumerable.Range(0, Math.Min(1000, count - sent))
                .Select(_ => publisher.BasicPublishAsync("", "raw-limit", false, properties, body, ct).AsTask()));
        }
        await done.Task.WaitAsync(TimeSpan.FromMinutes(5), ct);
        var rate = count / clock.Elapsed.TotalSeconds;
        await publisher.QueueDeleteAsync("raw-limit", cancellationToken: ct);
        return rate;
    }
}

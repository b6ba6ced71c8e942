using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Cdp.Testing;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Spectre.Console;

namespace Cdp.Benchmarks;

/// Drives the Collector's /v1/batch with many concurrent clients and reports accepted events/s and
/// request latency. RabbitMQ runs on the same machine; a quorum queue bound to EventCollected (as
/// IdentityResolution's is) receives every event and is drained, so the broker does real work.
public static class CollectorBenchmark
{
    public static Command Command()
    {
        var clients = new Option<int>("--clients") { Description = "concurrent HTTP clients", DefaultValueFactory = _ => 16 };
        var batch = new Option<int>("--batch") { Description = "events per /v1/batch request", DefaultValueFactory = _ => 100 };
        var seconds = new Option<int>("--seconds") { Description = "measured duration", DefaultValueFactory = _ => 30 };
        var warmup = new Option<int>("--warmup") { Description = "warm-up seconds, not measured", DefaultValueFactory = _ => 5 };
        var command = new Command("collector", "Accepted events/s and p50/p99 request latency of /v1/batch.\nExample: ./cdp bench collector --clients 16 --batch 100 --seconds 30")
        {
            clients, batch, seconds, warmup,
        };
        command.SetAction((result, ct) => RunAsync(result.GetValue(clients), result.GetValue(batch), result.GetValue(seconds), result.GetValue(warmup), ct));
        return command;
    }

    private static async Task<int> RunAsync(int clients, int batchSize, int seconds, int warmupSeconds, CancellationToken ct)
    {
        await using var target = await ServiceUnderLoad.StartAsync("Collector", "bench");
        var platform = target.Platform;
        var (connection, drained) = await DrainEventCollectedAsync(platform.Environment.RabbitMq);
        await using var _ = connection;

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients * 2 }) { BaseAddress = platform.Urls["Collector"] };
        http.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("dev-write-key:")));

        var latencies = new Latencies();
        long accepted = 0, failed = 0;
        var measuring = false;
        var stopAt = DateTime.UtcNow.AddSeconds(warmupSeconds + seconds);
        var startedAt = Stopwatch.StartNew();
        long measuredFrom = 0;

        async Task Client(int id)
        {
            var sequence = 0;
            while (DateTime.UtcNow < stopAt && !ct.IsCancellationRequested)
            {
                var body = BatchBody(id, sequence++, batchSize);
                var started = Stopwatch.GetTimestamp();
                using var response = await http.PostAsync("/v1/batch", new StringContent(body, Encoding.UTF8, "application/json"), ct);
                if (!Volatile.Read(ref measuring)) continue;
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    Interlocked.Add(ref accepted, batchSize);
                    latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                }
            }
        }

        var running = Task.WhenAll(Enumerable.Range(0, clients).Select(Client));
        await AnsiConsole.Progress().StartAsync(async progress =>
        {
            var warm = progress.AddTask($"warm-up {warmupSeconds} s", maxValue: warmupSeconds);
            for (var i = 0; i < warmupSeconds; i++) { await Task.Delay(1000, ct); warm.Increment(1); }
            measuredFrom = startedAt.ElapsedMilliseconds;
            Volatile.Write(ref measuring, true);
            var measure = progress.AddTask($"measuring {seconds} s", maxValue: seconds);
            for (var i = 0; i < seconds; i++)
            {
                await Task.Delay(1000, ct);
                measure.Increment(1);
                measure.Description = $"measuring: {Interlocked.Read(ref accepted) / Math.Max(1.0, (startedAt.ElapsedMilliseconds - measuredFrom) / 1000.0):N0} events/s";
            }
        });
        await running;
        var elapsed = (startedAt.ElapsedMilliseconds - measuredFrom) / 1000.0;

        var table = new Table().AddColumns("figure", "value");
        table.AddRow("clients x batch", $"{clients} x {batchSize}");
        table.AddRow("accepted events/s", $"{accepted / elapsed:N0}");
        table.AddRow("requests/s", $"{latencies.Count / elapsed:N0}");
        table.AddRow("request p50 / p99 (ms)", $"{latencies.Percentile(50):N1} / {latencies.Percentile(99):N1}");
        table.AddRow("failed requests", failed.ToString());
        table.AddRow("events received from the bus", drained().ToString("N0"));
        AnsiConsole.Write(table);
        return failed == 0 ? 0 : 1;
    }

    private static string BatchBody(int client, int sequence, int size)
    {
        var builder = new StringBuilder("{\"batch\":[");
        for (var i = 0; i < size; i++)
        {
            if (i > 0) builder.Append(',');
            builder.Append($$$$"""{"type":"track","messageId":"{{{{Guid.NewGuid()}}}}","anonymousId":"anon-{{{{client}}}}-{{{{sequence % 500}}}}","event":"Product Viewed","properties":{"sku":"sku-{{{{i}}}}","price":19.90,"currency":"EUR"},"context":{"library":{"name":"bench"}}}""");
        }
        return builder.Append("]}").ToString();
    }

    private static async Task<(IConnection, Func<long>)> DrainEventCollectedAsync(Uri rabbitMq)
    {
        var connection = await new ConnectionFactory { Uri = rabbitMq }.CreateConnectionAsync();
        var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync("Cdp.Contracts.Collector:EventsCollected", ExchangeType.Fanout, durable: true);
        var queue = "bench-event-collected";
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });
        await channel.QueueBindAsync(queue, "Cdp.Contracts.Collector:EventsCollected", "");
        await channel.BasicQosAsync(0, 1000, false);
        long received = 0;
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, d) =>
        {
            // Each message carries several events (EventsCollected).
            Interlocked.Add(ref received, JsonDocument.Parse(d.Body).RootElement.GetProperty("message").GetProperty("events").GetArrayLength());
            await channel.BasicAckAsync(d.DeliveryTag, multiple: false);
        };
        await channel.BasicConsumeAsync(queue, autoAck: false, consumer);
        return (connection, () => Interlocked.Read(ref received));
    }
}

using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Cdp.Testing;
using Spectre.Console;

namespace Cdp.Benchmarks;

/// The whole pipeline at a fixed rate: known customers (created before measuring) switch plans with identify
/// calls to the Collector, so each call makes its customer enter or exit the "bench-pro" audience; a
/// subscriber's queue is bound to the audience-changes exchange. Reports the latency from the Collector's
/// 200 to the change arriving on the subscriber's queue (p50, p95, p99).
public static class ActivationBenchmark
{
    public static Command Command()
    {
        var rate = new Option<int>("--rate") { Description = "events per second sent to the Collector", DefaultValueFactory = _ => 1000 };
        var batch = new Option<int>("--batch") { Description = "events per /v1/batch request", DefaultValueFactory = _ => 20 };
        var seconds = new Option<int>("--seconds") { Description = "measured duration", DefaultValueFactory = _ => 60 };
        // The goal is the steady state: for its first minute or two a cold platform (JIT, empty caches, tables
        // growing from nothing) builds a backlog at 1,000 events/s that the default warm-up lets it work off.
        var warmup = new Option<int>("--warmup") { Description = "warm-up seconds at the rate, not measured (5 measures the cold start)", DefaultValueFactory = _ => 150 };
        var customers = new Option<int>("--customers") { Description = "customers created before measuring; each event switches one's plan", DefaultValueFactory = _ => 2000 };
        var raw = new Option<int>("--raw-events") { Description = "events for the machine's raw limits measured after the run (0: skip)", DefaultValueFactory = _ => 20_000 };
        var command = new Command("activation",
            "Latency from an event accepted by the Collector to the audience change on a subscriber's queue, at a fixed rate, all four services running.\n" +
            "Example: ./cdp bench activation --rate 1000 --seconds 60 --warmup 150")
        {
            rate, batch, seconds, warmup, customers, raw,
        };
        command.SetAction((r, ct) => RunAsync(r.GetValue(rate), r.GetValue(batch), r.GetValue(seconds), r.GetValue(warmup), r.GetValue(customers),
            r.GetValue(raw), ct));
        return command;
    }

    private static async Task<int> RunAsync(int rate, int batchSize, int seconds, int warmupSeconds, int customers, int rawEvents, CancellationToken ct)
    {
        await using var platform = await AnsiConsole.Status().StartAsync("starting the four services", _ =>
            Platform.StartAsync("bench", settings: new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" }));
        using var admin = platform.Client("Activation", bearer: "dev-admin-token");
        (await admin.PostAsJsonAsync("/v1/audiences", JsonDocument.Parse("""
            {"key":"bench-pro","name":"Pro plan","rule":{"trait":"plan","op":"eq","value":"pro"},"includeTraits":["plan"]}
            """).RootElement, ct)).EnsureSuccessStatusCode();

        var accepted = new ConcurrentDictionary<string, long>();
        var latencies = new Latencies();
        long delivered = 0, measuredDelivered = 0;
        var measuring = false;
        await using var subscriber = await AudienceSubscriber.SubscribeAsync(platform.Environment.RabbitMq, "bench-subscriber", ["bench-pro"], body =>
        {
            var arrived = Stopwatch.GetTimestamp();
            using var json = JsonDocument.Parse(body);
            Interlocked.Increment(ref delivered);
            if (json.RootElement.GetProperty("messageId").GetString() is { } id && accepted.TryRemove(id, out var at) && at > 0)
            {
                latencies.Add(Stopwatch.GetElapsedTime(at, arrived).TotalMilliseconds);
                Interlocked.Increment(ref measuredDelivered);
            }
        });

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = platform.Urls["Collector"] };
        http.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("dev-write-key:")));
        long sent = 0, failed = 0, measuredAccepted = 0;
        var run = Guid.NewGuid().ToString("N")[..8];
        var interval = TimeSpan.FromSeconds((double)batchSize / rate);
        var total = warmupSeconds + seconds;
        var clock = Stopwatch.StartNew();
        var sendSeconds = 0.0;
        var requests = new List<Task>();
        using var queues = new QueueDepths(platform.Environment);
        var usage = ProcessUsage.OfPipeline(platform);
        IReadOnlyList<ProcessUsage.Usage> used = [];
        var lastSample = 0.0;

        var plans = new bool[customers];
        var cursor = 0;

        async Task SendAsync(int n)
        {
            var ids = Enumerable.Range(0, batchSize).Select(i => $"{run}-{n}-{i}").ToList();
            var body = new StringBuilder("{\"batch\":[");
            foreach (var id in ids)
            {
                if (body.Length > 10) body.Append(',');
                // Before measuring each customer is created on the free plan; after, each event flips one customer's plan.
                var c = Interlocked.Increment(ref cursor) - 1;
                var customer = c % customers;
                var plan = c < customers ? "free" : (plans[customer] = !plans[customer]) ? "pro" : "free";
                body.Append($$$"""{"type":"identify","messageId":"{{{id}}}","userId":"user-{{{run}}}-{{{customer}}}","traits":{"plan":"{{{plan}}}","email":"{{{run}}}-{{{customer}}}@example.com"}}""");
            }
            body.Append("]}");
            var measured = Volatile.Read(ref measuring);
            if (measured) foreach (var id in ids) accepted[id] = 0;
            using var response = await http.PostAsync("/v1/batch", new StringContent(body.ToString(), Encoding.UTF8, "application/json"), ct);
            var now = Stopwatch.GetTimestamp();
            Interlocked.Add(ref sent, batchSize);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                Interlocked.Add(ref failed, batchSize);
                foreach (var id in ids) accepted.TryRemove(id, out _);
                return;
            }
            if (!measured) return;
            Interlocked.Add(ref measuredAccepted, batchSize);
            // Acceptance is the Collector's 200; a change that arrived even earlier counts as zero.
            foreach (var id in ids) accepted.TryUpdate(id, now, 0);
        }

        await AnsiConsole.Progress().StartAsync(async progress =>
        {
            var create = progress.AddTask($"creating {customers:N0} customers at {rate} events/s", maxValue: customers);
            var c = 0;
            var creating = Stopwatch.StartNew();
            while (c * batchSize < customers)
            {
                requests.Add(SendAsync(-1 - c++));
                var next = interval * c - creating.Elapsed;
                if (next > TimeSpan.Zero) await Task.Delay(next, ct);
                create.Value = Math.Min(customers, c * batchSize);
            }
            await Task.WhenAll(requests);
            requests.Clear();
            create.Description = "waiting for the pipeline to take them in";
            while ((await platform.Environment.QueueDepthsAsync()).Values.Sum() > 0) await Task.Delay(500, ct);
            Interlocked.Exchange(ref sent, 0);
            clock.Restart();

            var task = progress.AddTask($"{rate} events/s for {warmupSeconds} s warm-up + {seconds} s", maxValue: total);
            var n = 0;
            while (clock.Elapsed.TotalSeconds < total && !ct.IsCancellationRequested)
            {
                if (!measuring && clock.Elapsed.TotalSeconds >= warmupSeconds)
                {
                    Volatile.Write(ref measuring, true);
                    usage.Start();
                }
                if (measuring && clock.Elapsed.TotalSeconds - lastSample >= 1)
                {
                    usage.Sample();
                    lastSample = clock.Elapsed.TotalSeconds;
                }
                requests.Add(SendAsync(n++));
                var next = interval * n - clock.Elapsed;
                if (next > TimeSpan.Zero) await Task.Delay(next, ct);
                task.Value = Math.Min(total, clock.Elapsed.TotalSeconds);
                task.Description = $"{rate} events/s: sent {Interlocked.Read(ref sent):N0}, changes delivered {Interlocked.Read(ref delivered):N0}; {await queues.DescribeAsync()}";
            }
            await Task.WhenAll(requests);
            sendSeconds = clock.Elapsed.TotalSeconds;
            used = usage.Stop();
            // Let the pipeline finish what it was given.
            var drainUntil = DateTime.UtcNow.AddSeconds(60);
            while (accepted.Values.Any(v => v > 0) && DateTime.UtcNow < drainUntil) await Task.Delay(200, ct);
        });

        var missing = accepted.Count(a => a.Value > 0);
        var achieved = Interlocked.Read(ref sent) / sendSeconds;
        // The run's events after customer creation (whose batches have negative numbers: "{run}--").
        var stages = await StageLatencies.MeasureAsync(platform.Environment.Postgres, $"{run}-%", $"{run}--%", ct);
        // The same machine's limits for the same work with no services, measured after the pipeline has stopped sending.
        var limits = rawEvents > 0 ? await RawLimits.MeasureAsync(platform.Environment, rawEvents, ct) : null;
        var figures = new Dictionary<string, object>
        {
            ["rawMartenAppendsPerSecond"] = limits?.MartenEventsPerSecond ?? 0,
            ["rawRabbitConfirmedMessagesPerSecond"] = limits?.RabbitMessagesPerSecond ?? 0,
            ["queuedWhileMeasuringRawLimits"] = limits?.QueuedWhenMeasured ?? 0,
            ["pipelineToRawMartenPercent"] = limits is null ? 0 : Math.Round(100 * achieved / limits.MartenEventsPerSecond, 1),
            ["targetEventsPerSecond"] = rate,
            ["achievedEventsPerSecond"] = Math.Round(Interlocked.Read(ref sent) / sendSeconds),
            ["acceptedMeasured"] = measuredAccepted,
            ["changesReceivedMeasured"] = measuredDelivered,
            ["changesNotSeenWithin60s"] = missing,
            ["failedEvents"] = failed,
            ["latencyP50Ms"] = Math.Round(latencies.Percentile(50)),
            ["latencyP95Ms"] = Math.Round(latencies.Percentile(95)),
            ["latencyP99Ms"] = Math.Round(latencies.Percentile(99)),
            ["latencyMaxMs"] = Math.Round(latencies.Percentile(100)),
        };
        foreach (var stage in stages)
        {
            figures[$"{stage.Name}: events, events/s, p50/p95/p99 ms from acceptance"] =
                $"{stage.Events}, {stage.EventsPerSecond}, {stage.P50Ms}/{stage.P95Ms}/{stage.P99Ms}";
        }
        var result = new BenchResult("activation", DateTimeOffset.UtcNow, figures, used);
        var table = new Table().AddColumns("figure", "value");
        table.AddRow("target rate", $"{rate:N0} events/s ({batchSize} a request)");
        table.AddRow("achieved send rate", $"{Interlocked.Read(ref sent) / sendSeconds:N0} events/s");
        table.AddRow("accepted in the measured window", measuredAccepted.ToString("N0"));
        table.AddRow("audience changes received (measured)", measuredDelivered.ToString("N0"));
        table.AddRow("changes not seen within 60 s (coalesced or lost)", missing.ToString("N0"));
        table.AddRow("failed (non-200) events", failed.ToString("N0"));
        table.AddRow("accepted → on subscriber queue p50 / p95 / p99 (ms)",
            $"{latencies.Percentile(50):N0} / {latencies.Percentile(95):N0} / {latencies.Percentile(99):N0}");
        table.AddRow("max (ms)", $"{latencies.Percentile(100):N0}");
        foreach (var stage in stages)
        {
            table.AddRow($"{stage.Name}: events (warm-up included), events/s", $"{stage.Events:N0}, {stage.EventsPerSecond:N0}");
            table.AddRow($"accepted → {stage.Name} p50 / p95 / p99 (ms)", $"{stage.P50Ms:N0} / {stage.P95Ms:N0} / {stage.P99Ms:N0}");
        }
        foreach (var u in used) table.AddRow($"{u.Name}: CPU (% of one core) / peak working set", $"{u.CpuPercentOfOneCore:N0} % / {u.PeakWorkingSetMb:N0} MB");
        table.AddRow("busiest process (the likely bottleneck)", used.MaxBy(u => u.CpuPercentOfOneCore)?.Name ?? "?");
        if (limits is not null)
        {
            table.AddRow("raw limit: Marten batched appends, events/s", $"{limits.MartenEventsPerSecond:N0}");
            table.AddRow($"raw limit: RabbitMQ confirmed publish+consume ({limits.MessageBytes} B), messages/s", $"{limits.RabbitMessagesPerSecond:N0}");
            table.AddRow("pipeline send rate / raw Marten appends (goal 40 %)", $"{100 * achieved / limits.MartenEventsPerSecond:N1} %");
            table.AddRow("pipeline send rate / raw RabbitMQ round trip", $"{100 * achieved / limits.RabbitMessagesPerSecond:N1} %");
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"results: [bold]{Markup.Escape(await result.WriteAsync())}[/] (.json and .md)");
        return failed == 0 && missing == 0 ? 0 : 1;
    }
}

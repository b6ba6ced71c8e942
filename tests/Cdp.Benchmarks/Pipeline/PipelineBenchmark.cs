using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Cdp.Testing;
using Spectre.Console;

namespace Cdp.Benchmarks.Pipeline;

/// The whole pipeline under a realistic mixed workload (see <see cref="Workload"/>), at a fixed rate or flat out, for a
/// fixed duration after a warm-up: events/s accepted and through each stage, latency from acceptance to the profile
/// commit and to the audience change on a subscriber's queue, every queue's and subscription's lag during and after the
/// run, CPU and memory of every process, the machine's raw limits for the same work, and a line per stage naming what
/// limited it. Writes .cdp/bench/pipeline-*.json and .md.
public static class PipelineBenchmark
{
    private const string SubscriberQueue = "bench-pipeline-subscriber";
    /// The audiences the run defines; the subscriber hears all of them.
    private static readonly string[] Audiences =
    [
        """{"key":"bench-buyers","name":"Buyers","rule":{"event":"Order Completed","op":"ever"}}""",
        """{"key":"bench-pro","name":"Pro plan","rule":{"trait":"plan","op":"eq","value":"pro"},"includeTraits":["plan","email"]}""",
        """{"key":"bench-big-spenders","name":"Big spenders","rule":{"all":[{"computed":"lifetime_revenue","op":"gte","value":300},{"event":"Order Completed","op":"gte","value":2,"within_days":30}]}}""",
    ];

    public static Command Command()
    {
        var rate = new Option<int>("--rate") { Description = "events per second offered to the Collector; 0 sends flat out with --clients", DefaultValueFactory = _ => 1000 };
        var clients = new Option<int>("--clients") { Description = "concurrent HTTP clients when flat out", DefaultValueFactory = _ => 16 };
        var batch = new Option<int>("--batch") { Description = "events per /v1/batch request (split by source)", DefaultValueFactory = _ => 50 };
        var seconds = new Option<int>("--seconds") { Description = "measured duration", DefaultValueFactory = _ => 300 };
        var warmup = new Option<int>("--warmup") { Description = "warm-up seconds at the same rate, not measured (the first minute is JIT and cold caches)", DefaultValueFactory = _ => 60 };
        var customers = new Option<int>("--customers") { Description = "customers in the synthetic population", DefaultValueFactory = _ => 20_000 };
        var seed = new Option<int>("--seed") { Description = "seed of the workload (the same seed sends the same traffic)", DefaultValueFactory = _ => 42 };
        var logins = new Option<int>("--logins") { Description = "% of a known customer's events that are logins on a second device (anonymous visitors log in at 3x this)", DefaultValueFactory = _ => WorkloadMix.Default.LoginPercent };
        var purchases = new Option<int>("--purchases") { Description = "% purchases (Order Completed with revenue)", DefaultValueFactory = _ => WorkloadMix.Default.PurchasePercent };
        var crm = new Option<int>("--crm") { Description = "% CRM identify calls (second party; plan changes)", DefaultValueFactory = _ => WorkloadMix.Default.CrmPercent };
        var enrichment = new Option<int>("--enrichment") { Description = "% third-party enrichment keyed by email", DefaultValueFactory = _ => WorkloadMix.Default.EnrichmentPercent };
        var devices = new Option<int>("--second-devices") { Description = "% chance a known customer starts browsing on a second device (its login merges)", DefaultValueFactory = _ => WorkloadMix.Default.SecondDevicePercent };
        var hostile = new Option<double>("--hostile") { Description = "% hostile inputs (blocked ids, a shared kiosk id, calls Segment refuses)", DefaultValueFactory = _ => WorkloadMix.Default.HostilePercent };
        var raw = new Option<int>("--raw-events") { Description = "events for the raw limits measured after the run (0: skip)", DefaultValueFactory = _ => 20_000 };
        var drain = new Option<int>("--drain") { Description = "seconds to wait after sending for the pipeline to finish", DefaultValueFactory = _ => 120 };
        var command = new Command("pipeline",
            "The whole pipeline under a realistic mixed workload: throughput per stage, latency, lag, CPU and memory, the raw limits, the bottleneck per stage.\n" +
            "Examples:\n  ./cdp bench pipeline --rate 1000 --seconds 300\n  ./cdp bench pipeline --rate 0 --clients 16 --seconds 120   (flat out)")
        {
            rate, clients, batch, seconds, warmup, customers, seed, logins, purchases, crm, enrichment, devices, hostile, raw, drain,
        };
        command.SetAction((r, ct) => RunAsync(new Settings(r.GetValue(rate), r.GetValue(clients), r.GetValue(batch), r.GetValue(seconds), r.GetValue(warmup),
            r.GetValue(customers), r.GetValue(seed), r.GetValue(raw), r.GetValue(drain),
            new WorkloadMix(r.GetValue(logins), r.GetValue(purchases), r.GetValue(crm), r.GetValue(enrichment), r.GetValue(devices), r.GetValue(hostile))), ct));
        return command;
    }

    private sealed record Settings(int Rate, int Clients, int Batch, int Seconds, int Warmup, int Customers, int Seed, int RawEvents, int Drain, WorkloadMix Mix);

    private static readonly Dictionary<string, string> WriteKeys = new()
    {
        [Workload.FirstParty] = "dev-write-key", [Workload.Crm] = "bench-crm-key", [Workload.Vendor] = "bench-vendor-key",
    };

    private static async Task<int> RunAsync(Settings s, CancellationToken ct)
    {
        await using var platform = await AnsiConsole.Status().StartAsync("starting the four services", _ =>
            Platform.StartAsync("pipeline", settings: new Dictionary<string, string>
            {
                ["Logging__LogLevel__Default"] = "Warning",
                ["Cdp__Sources__1__Id"] = Workload.Crm, ["Cdp__Sources__1__Name"] = "CRM", ["Cdp__Sources__1__WriteKey"] = WriteKeys[Workload.Crm],
                ["Cdp__Sources__1__DataParty"] = "second",
                ["Cdp__Sources__2__Id"] = Workload.Vendor, ["Cdp__Sources__2__Name"] = "Enrichment vendor", ["Cdp__Sources__2__WriteKey"] = WriteKeys[Workload.Vendor],
                ["Cdp__Sources__2__DataParty"] = "third",
            }));
        using (var admin = platform.Client("Activation", bearer: "dev-admin-token"))
        {
            foreach (var audience in Audiences)
            {
                (await admin.PostAsJsonAsync("/v1/audiences", JsonDocument.Parse(audience).RootElement, ct)).EnsureSuccessStatusCode();
            }
        }

        var run = Guid.NewGuid().ToString("N")[..8];
        var workload = new Workload(s.Customers, s.Seed, run, s.Mix);
        var acceptedAt = new ConcurrentDictionary<string, long>();
        var changeLatencies = new Latencies();
        long changes = 0, accepted = 0, refusedAsExpected = 0, failed = 0, measuredAccepted = 0;
        var measuring = false;
        await using var subscriber = await AudienceSubscriber.SubscribeAsync(platform.Environment.RabbitMq, SubscriberQueue,
            Audiences.Select(a => JsonDocument.Parse(a).RootElement.GetProperty("key").GetString()!), body =>
        {
            var arrived = Stopwatch.GetTimestamp();
            using var json = JsonDocument.Parse(body);
            Interlocked.Increment(ref changes);
            // The first change a message caused is its latency; a purchase can move a customer into two audiences.
            if (json.RootElement.TryGetProperty("messageId", out var id) && acceptedAt.TryRemove(id.GetString()!, out var at) && at > 0)
            {
                changeLatencies.Add(Stopwatch.GetElapsedTime(at, arrived).TotalMilliseconds);
            }
        });

        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 64 };
        using var http = new HttpClient(handler) { BaseAddress = platform.Urls["Collector"], Timeout = TimeSpan.FromSeconds(60) };
        var gate = new object();

        List<WorkloadEvent> NextBatch()
        {
            lock (gate) return Enumerable.Range(0, s.Batch).Select(_ => workload.Next()).ToList();
        }

        async Task SendAsync(List<WorkloadEvent> events)
        {
            var measured = Volatile.Read(ref measuring);
            var requests = events.Where(e => !e.MustBeRefused).GroupBy(e => e.Source)
                .Select(g => (Path: "/v1/batch", g.Key, Events: g.ToList(), Body: "{\"batch\":[" + string.Join(",", g.Select(e => e.Json)) + "]}", Refuse: false))
                .Concat(events.Where(e => e.MustBeRefused).Select(e => (Path: "/v1/track", Key: e.Source, Events: new List<WorkloadEvent> { e }, Body: e.Json, Refuse: true)));
            await Task.WhenAll(requests.Select(async request =>
            {
                using var message = new HttpRequestMessage(HttpMethod.Post, request.Path) { Content = new StringContent(request.Body, Encoding.UTF8, "application/json") };
                message.Headers.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(WriteKeys[request.Key] + ":")));
                if (measured) foreach (var e in request.Events) acceptedAt[e.MessageId] = 0;
                using var response = await http.SendAsync(message, ct);
                var now = Stopwatch.GetTimestamp();
                if (request.Refuse)
                {
                    // 400 for a call that breaks Segment's rules, 413 for one over its size limit.
                    if (response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge) Interlocked.Increment(ref refusedAsExpected);
                    else Interlocked.Increment(ref failed);
                    acceptedAt.TryRemove(request.Events[0].MessageId, out _);
                    return;
                }
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Interlocked.Add(ref failed, request.Events.Count);
                    foreach (var e in request.Events) acceptedAt.TryRemove(e.MessageId, out _);
                    return;
                }
                Interlocked.Add(ref accepted, request.Events.Count);
                if (!measured) return;
                Interlocked.Add(ref measuredAccepted, request.Events.Count);
                // Acceptance is the Collector's 200; a change that arrived even earlier counts as zero.
                foreach (var e in request.Events) acceptedAt.TryUpdate(e.MessageId, now, 0);
            }));
        }

        var usage = ProcessUsage.OfPipeline(platform).Track("the harness (load and measurement)", () => [Environment.ProcessId]);
        await using var sampler = new PipelineSampler(platform.Environment);
        var database = new DatabaseWork(platform.Environment.Postgres);
        var groups = new GroupCommitFigures(platform);
        Dictionary<string, string> groupFigures = [];
        DatabaseWork.Figures? databaseWork = null;
        var clock = Stopwatch.StartNew();
        var total = s.Warmup + s.Seconds;
        DateTimeOffset measuredSince = default;
        double measuredStart = 0, measuredEnd = 0;
        IReadOnlyList<ProcessUsage.Usage> used = [];
        var flatOut = s.Rate <= 0;

        await AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async progress =>
        {
            var task = progress.AddTask("warm-up", maxValue: total);
            var sampling = Task.Run(async () =>
            {
                while (clock.Elapsed.TotalSeconds < total && !ct.IsCancellationRequested)
                {
                    await Task.Delay(1000, ct);
                    var now = clock.Elapsed.TotalSeconds;
                    if (!Volatile.Read(ref measuring) && now >= s.Warmup)
                    {
                        measuredSince = DateTimeOffset.UtcNow;
                        measuredStart = now;
                        usage.Start();
                        await database.StartAsync(ct);
                        await groups.StartAsync(ct);
                        Volatile.Write(ref measuring, true);
                    }
                    if (Volatile.Read(ref measuring)) usage.Sample();
                    PipelineSampler.Sample sample;
                    try
                    {
                        sample = await sampler.SampleAsync(now, ct);
                    }
                    catch (Exception e) when (e is HttpRequestException or Npgsql.NpgsqlException or TaskCanceledException && !ct.IsCancellationRequested)
                    {
                        // A missed sample costs one point of the series, not the run.
                        continue;
                    }
                    var busy = sample.Depths.Where(q => q.Value > 0).OrderByDescending(q => q.Value).Take(3).Select(q => $"{q.Key} {q.Value:N0}");
                    task.Value = Math.Min(total, now);
                    task.Description = Markup.Escape($"{(Volatile.Read(ref measuring) ? "measuring" : "warm-up")}: accepted {Interlocked.Read(ref accepted):N0} " +
                        $"({Interlocked.Read(ref accepted) / now:N0}/s), changes {Interlocked.Read(ref changes):N0}, CPU {sample.MachineCpuPercent:N0} %; " +
                        (busy.Any() ? string.Join(", ", busy) : "queues empty"));
                }
            }, ct);
            var sending = new List<Task>();
            if (flatOut)
            {
                sending.AddRange(Enumerable.Range(0, s.Clients).Select(_ => Task.Run(async () =>
                {
                    while (clock.Elapsed.TotalSeconds < total && !ct.IsCancellationRequested) await SendAsync(NextBatch());
                }, ct)));
            }
            else
            {
                var interval = TimeSpan.FromSeconds((double)s.Batch / s.Rate);
                for (var n = 1; clock.Elapsed.TotalSeconds < total && !ct.IsCancellationRequested; n++)
                {
                    sending.Add(SendAsync(NextBatch()));
                    var next = interval * n - clock.Elapsed;
                    if (next > TimeSpan.Zero) await Task.Delay(next, ct);
                    if (sending.Count > 1000) sending.RemoveAll(t => t.IsCompleted);
                }
            }
            await Task.WhenAll(sending);
            await sampling;
            measuredEnd = clock.Elapsed.TotalSeconds;
            used = usage.Stop();
            databaseWork = await database.StopAsync(Interlocked.Read(ref measuredAccepted), ct);
            groupFigures = await groups.StopAsync(measuredEnd - measuredStart, ct);
            task.Description = "sent; waiting for every queue and subscription to drain";
            var drainUntil = clock.Elapsed.TotalSeconds + s.Drain;
            while (clock.Elapsed.TotalSeconds < drainUntil)
            {
                await Task.Delay(1000, ct);
                var sample = await sampler.SampleAsync(clock.Elapsed.TotalSeconds, ct);
                // The subscriber's queue too: Activation's last changes reach it just after its subscription's lag is 0, and
                // a drain that stopped before the harness took them reported the subscriber stage as fallen behind.
                if (sample.Depths.Values.All(d => d == 0) && sample.SubscriptionLags.Values.All(l => l == 0)) break;
            }
        });

        var drained = clock.Elapsed.TotalSeconds - measuredEnd;
        var measured = sampler.Samples.Where(x => x.At >= measuredStart && x.At <= measuredEnd).ToList();
        var acceptedRate = measuredAccepted / (measuredEnd - measuredStart);
        var stores = await StageLatencies.MeasureAsync(platform.Environment.Postgres, $"{run}-%", "-", ct, measuredSince);
        var stages = StageReport.Build(measured, sampler.Samples[^1], used, flatOut ? acceptedRate : s.Rate);
        var limits = s.RawEvents > 0 ? await RawLimits.MeasureAsync(platform.Environment, s.RawEvents, ct) : null;
        // End to end: the events accepted in the window that reached the profile store by the end of the drain, over the
        // window and the drain: the accepted rate when every stage keeps up, what the slowest stage managed when not.
        var endToEnd = Math.Round(stores.Single(x => x.Name == StageLatencies.ProfileCommitted).Events / (measuredEnd - measuredStart + drained));

        var figures = new Dictionary<string, object>
        {
            ["workload"] = $"{s.Customers:N0} customers, seed {s.Seed}, mix {s.Mix}",
            ["offered"] = flatOut ? $"flat out, {s.Clients} clients × {s.Batch}-event batches" : $"{s.Rate:N0} events/s in {s.Batch}-event batches",
            ["measuredSeconds"] = Math.Round(measuredEnd - measuredStart),
            ["acceptedEventsPerSecond"] = Math.Round(acceptedRate),
            ["endToEndEventsPerSecond"] = Math.Round(endToEnd),
            ["acceptedMeasured"] = measuredAccepted,
            ["refusedAsExpected"] = refusedAsExpected,
            ["failedEvents"] = failed,
            ["audienceChangesReceived"] = Interlocked.Read(ref changes),
            ["changeLatencyP50Ms"] = changeLatencies.Count == 0 ? 0 : Math.Round(changeLatencies.Percentile(50)),
            ["changeLatencyP95Ms"] = changeLatencies.Count == 0 ? 0 : Math.Round(changeLatencies.Percentile(95)),
            ["changeLatencyP99Ms"] = changeLatencies.Count == 0 ? 0 : Math.Round(changeLatencies.Percentile(99)),
            ["drainSecondsAfterSending"] = Math.Round(drained, 1),
            ["messagesInErrorQueues"] = sampler.Samples[^1].Depths.Where(q => q.Key.EndsWith("_error")).Sum(q => q.Value),
            ["rawMartenAppendsPerSecond"] = limits?.MartenEventsPerSecond ?? 0,
            ["rawRabbitConfirmedMessagesPerSecond"] = limits?.RabbitMessagesPerSecond ?? 0,
            // Above zero, the services were still working off the run while the raw limits were measured.
            ["queuedWhileMeasuringRawLimits"] = limits?.QueuedWhenMeasured ?? 0,
            ["pipelineToRawMartenPercent"] = limits is null ? 0 : Math.Round(100 * endToEnd / limits.MartenEventsPerSecond, 1),
            ["pipelineToRawRabbitPercent"] = limits is null ? 0 : Math.Round(100 * endToEnd / limits.RabbitMessagesPerSecond, 1),
            ["machineCpuPercentMean"] = measured.Count == 0 ? 0 : Math.Round(measured.Average(x => x.MachineCpuPercent)),
        };
        if (databaseWork is not null)
        {
            figures["PostgreSQL: commits, rows written, rows read per accepted event"] =
                $"{databaseWork.CommitsPerEvent}, {databaseWork.RowsWrittenPerEvent}, {databaseWork.RowsReadPerEvent}";
            figures["PostgreSQL: tables written most (rows per accepted event)"] =
                string.Join(", ", databaseWork.BusiestTables.Select(t => $"{t.Name} {t.RowsWrittenPerEvent}"));
            figures["PostgreSQL: WAL bytes per accepted event, checkpoints and autovacuum runs in the window"] =
                $"{databaseWork.WalBytesPerEvent:N0}, {databaseWork.Checkpoints}, {databaseWork.AutovacuumRuns}";
        }
        foreach (var (kind, count) in workload.Sent.OrderByDescending(k => k.Value)) figures[$"sent: {kind}"] = count;
        foreach (var store in stores)
        {
            figures[$"accepted → {store.Name}: events, events/s, p50/p95/p99 ms"] = $"{store.Events}, {store.EventsPerSecond}, {store.P50Ms}/{store.P95Ms}/{store.P99Ms}";
        }
        foreach (var (name, value) in groupFigures) figures[name] = value;
        foreach (var stage in stages)
        {
            figures[$"stage {stage.Stage}"] = $"{stage.ConsumedPerSecond:N0} messages/s consumed; queue {stage.DepthAtStart:N0} → max {stage.DepthMax:N0} → {stage.DepthAtEnd:N0} " +
                $"(growth {stage.GrowthPerSecond:N1}/s), {stage.DepthAfterDrain:N0} after the drain; subscription lag max {stage.SubscriptionLagMax:N0}, " +
                $"{stage.SubscriptionLagAfterDrain:N0} after; {(stage.KeptUp ? "kept up" : "FELL BEHIND")}";
            figures[$"bottleneck {stage.Stage}"] = stage.Bottleneck;
        }
        var result = new BenchResult("pipeline", DateTimeOffset.UtcNow, figures, used);

        var table = new Table().AddColumns("figure", "value");
        foreach (var (k, v) in figures) table.AddRow(Markup.Escape(k), Markup.Escape(Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? ""));
        foreach (var u in used) table.AddRow(Markup.Escape($"{u.Name}: CPU (% of one core) / peak working set"), $"{u.CpuPercentOfOneCore:N0} % / {u.PeakWorkingSetMb:N0} MB");
        AnsiConsole.Write(table);
        var stem = await result.WriteAsync();
        // The lag of every queue and subscription second by second, for plotting where it backed up and when.
        await File.WriteAllTextAsync(stem + "-samples.json", JsonSerializer.Serialize(sampler.Samples, new JsonSerializerOptions(JsonSerializerDefaults.Web)), ct);
        AnsiConsole.MarkupLine($"results: [bold]{Markup.Escape(stem)}[/] (.json, .md, and -samples.json: every queue and subscription, second by second)");
        return failed == 0 && stages.All(x => x.KeptUp) && (long)figures["messagesInErrorQueues"] == 0 ? 0 : 1;
    }
}

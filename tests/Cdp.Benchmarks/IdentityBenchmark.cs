using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Cdp.Contracts.Collector;
using Cdp.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Cdp.Benchmarks;

/// Events/s resolved by IdentityResolution (consumed, decided, appended, and EventResolved published)
/// for a seeded workload with logins and merges in the mix.
public static class IdentityBenchmark
{
    public static Command Command()
    {
        var events = new Option<int>("--events") { Description = "events to resolve", DefaultValueFactory = _ => 20_000 };
        var customers = new Option<int>("--customers") { Description = "distinct people", DefaultValueFactory = _ => 2_000 };
        var seed = new Option<int>("--seed") { Description = "workload seed", DefaultValueFactory = _ => 42 };
        var warmup = new Option<int>("--warmup")
        {
            Description = "events resolved first, untimed, for other people: the service's code is compiled and tiered up (JIT) before the timed run",
            DefaultValueFactory = _ => 0,
        };
        var command = new Command("identity", "Events/s resolved, with anonymous visits, logins, CRM emails and merges.\nExample: ./cdp bench identity --events 150000 --customers 15000 --warmup 60000")
        {
            events, customers, seed, warmup,
        };
        command.SetAction((r, ct) => RunAsync(r.GetValue(events), r.GetValue(customers), r.GetValue(seed), r.GetValue(warmup), ct));
        return command;
    }

    /// A reproducible mix: each person browses anonymously, logs in (anonymous id joins the user id),
    /// shows up in the CRM by email, and some browse on a second device before logging in again (a merge).
    public static List<EventCollected> Workload(int count, int customers, int seed, string people = "")
    {
        var random = new Random(seed);
        var list = new List<EventCollected>(count);
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; list.Count < count; i++)
        {
            var c = random.Next(customers);
            var roll = random.Next(100);
            var (type, user, anonymous, traits, source) = roll switch
            {
                < 50 => ("track", (string?)null, $"{people}anon-{c}-{random.Next(2)}", (object?)null, "web"),
                < 75 => ("track", $"{people}user-{c}", $"{people}anon-{c}-{random.Next(2)}", null, "web"),
                < 90 => ("identify", $"{people}user-{c}", null, new { email = $"{people}c{c}@example.com" }, "crm"),
                < 97 => ("identify", null, $"{people}anon-{c}-1", new { email = $"{people}c{c}@example.com" }, "web"),
                _ => ("track", "undefined", "null", null, "web"),
            };
            var message = JsonSerializer.SerializeToElement(new { type, userId = user, anonymousId = anonymous, traits, @event = type == "track" ? "Viewed" : null });
            list.Add(new EventCollected(Guid.NewGuid().ToString(), type, user, anonymous, type == "track" ? "Viewed" : null, now, now, source, "first", message));
        }
        return list;
    }

    private static async Task<int> RunAsync(int count, int customers, int seed, int warmup, CancellationToken ct)
    {
        await using var target = await ServiceUnderLoad.StartAsync("IdentityResolution", "benchid");
        var platform = target.Platform;
        await using var resolved = await BusProbe.StartAsync(platform.Environment.RabbitMq, "Cdp.Contracts.Identity:EventsResolved", entries: "events");

        var bus = await target.StartBusAsync(ct);
        if (warmup > 0)
        {
            AnsiConsole.MarkupLine($"warm-up: {warmup:N0} events for {customers:N0} other people, not timed");
            await ResolveAsync(bus, resolved, Workload(warmup, customers, seed + 1, people: "w-"), ct);
        }
        var before = resolved.ReceivedCount;
        var workload = Workload(count, customers, seed);

        var clock = Stopwatch.StartNew();
        await ResolveAsync(bus, resolved, workload, ct);
        var seconds = clock.Elapsed.TotalSeconds;
        var timed = resolved.Received.Skip(before).ToList();
        using var http = platform.Client("IdentityResolution");
        var metrics = await http.GetStringAsync("/metrics", ct);
        var lostRaces = metrics.Split('\n').Where(l => l.StartsWith("cdp_identity_lost_races") && !l.StartsWith("# ")).Select(l => l.Split(' ')[^1]).FirstOrDefault() ?? "0";

        var profiles = timed.Select(d => d.Message.GetProperty("profileId").GetString()).Distinct().Count();
        var table = new Table().AddColumns("figure", "value");
        table.AddRow("events (customers)", $"{workload.Count:N0} ({customers:N0})");
        table.AddRow("warm-up events before the timed run", $"{warmup:N0}");
        table.AddRow("resolved events/s", $"{timed.Count / seconds:N0}");
        table.AddRow("profiles events landed on", $"{profiles:N0}");
        table.AddRow("elapsed", $"{seconds:N1} s");
        table.AddRow("lost races (resolutions run again)", lostRaces);
        AnsiConsole.Write(table);
        return 0;
    }

    /// Publishes the workload as the Collector does and waits (up to 10 minutes) until its resolutions are on the bus.
    private static async Task ResolveAsync(IBus bus, BusProbe resolved, List<EventCollected> workload, CancellationToken ct)
    {
        var before = resolved.ReceivedCount;
        var clock = Stopwatch.StartNew();
        await AnsiConsole.Progress().StartAsync(async progress =>
        {
            // As the Collector publishes a /v1/batch request: 50 events to a message (EventsCollected).
            var publishing = progress.AddTask("publishing EventsCollected", maxValue: workload.Count);
            foreach (var chunk in workload.Chunk(500))
            {
                await Task.WhenAll(chunk.Chunk(50).Select(request => bus.Publish(new EventsCollected(request), ct)));
                publishing.Increment(chunk.Length);
            }
            var resolving = progress.AddTask("resolved (EventsResolved on the bus)", maxValue: workload.Count);
            var expected = workload.Count(e => e.UserId != "undefined");
            while (clock.Elapsed < TimeSpan.FromMinutes(10))
            {
                var seen = resolved.ReceivedCount - before;
                resolving.Value = seen;
                if (seen >= expected) break;
                await Task.Delay(250, ct);
            }
            resolving.Value = workload.Count;
        });
    }
}

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
        var command = new Command("identity", "Events/s resolved, with anonymous visits, logins, CRM emails and merges.\nExample: ./cdp bench identity --events 20000 --customers 2000")
        {
            events, customers, seed,
        };
        command.SetAction((r, ct) => RunAsync(r.GetValue(events), r.GetValue(customers), r.GetValue(seed), ct));
        return command;
    }

    /// A reproducible mix: each person browses anonymously, logs in (anonymous id joins the user id),
    /// shows up in the CRM by email, and some browse on a second device before logging in again (a merge).
    public static List<EventCollected> Workload(int count, int customers, int seed)
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
                < 50 => ("track", (string?)null, $"anon-{c}-{random.Next(2)}", (object?)null, "web"),
                < 75 => ("track", $"user-{c}", $"anon-{c}-{random.Next(2)}", null, "web"),
                < 90 => ("identify", $"user-{c}", null, new { email = $"c{c}@example.com" }, "crm"),
                < 97 => ("identify", null, $"anon-{c}-1", new { email = $"c{c}@example.com" }, "web"),
                _ => ("track", "undefined", "null", null, "web"),
            };
            var message = JsonSerializer.SerializeToElement(new { type, userId = user, anonymousId = anonymous, traits, @event = type == "track" ? "Viewed" : null });
            list.Add(new EventCollected(Guid.NewGuid().ToString(), type, user, anonymous, type == "track" ? "Viewed" : null, now, now, source, "first", message));
        }
        return list;
    }

    private static async Task<int> RunAsync(int count, int customers, int seed, CancellationToken ct)
    {
        await using var target = await ServiceUnderLoad.StartAsync("IdentityResolution", "benchid");
        var platform = target.Platform;
        await using var resolved = await BusProbe.StartAsync(platform.Environment.RabbitMq, "Cdp.Contracts.Identity:EventsResolved", entries: "events");

        var bus = await target.StartBusAsync(ct);
        var workload = Workload(count, customers, seed);

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
            while (resolved.Received.Count < expected && clock.Elapsed < TimeSpan.FromMinutes(10))
            {
                resolving.Value = resolved.Received.Count;
                await Task.Delay(250, ct);
            }
            resolving.Value = workload.Count;
        });
        var seconds = clock.Elapsed.TotalSeconds;
        using var http = platform.Client("IdentityResolution");
        var metrics = await http.GetStringAsync("/metrics", ct);
        var lostRaces = metrics.Split('\n').Where(l => l.StartsWith("cdp_identity_lost_races") && !l.StartsWith("# ")).Select(l => l.Split(' ')[^1]).FirstOrDefault() ?? "0";

        var profiles = resolved.Received.Select(d => d.Message.GetProperty("profileId").GetString()).Distinct().Count();
        var table = new Table().AddColumns("figure", "value");
        table.AddRow("events (customers)", $"{workload.Count:N0} ({customers:N0})");
        table.AddRow("resolved events/s", $"{resolved.Received.Count / seconds:N0}");
        table.AddRow("profiles events landed on", $"{profiles:N0}");
        table.AddRow("elapsed", $"{seconds:N1} s");
        table.AddRow("lost races (resolutions run again)", lostRaces);
        AnsiConsole.Write(table);
        return 0;
    }
}

using System.CommandLine;
using System.Diagnostics;
using Cdp.Testing;
using Npgsql;
using Spectre.Console;

namespace Cdp.Benchmarks;

/// Events/s appended to the customer event store and projected into profiles (inline, batched),
/// with the latency from publishing EventResolved to the append.
public static class ProfileBenchmark
{
    // Profile ids of the timed run and of the warm-up, kept apart so that the latency covers the timed run's events only.
    private const string TimedProfiles = "p";
    private const string WarmupProfiles = "w";

    public static Command Command()
    {
        var events = new Option<int>("--events") { Description = "resolved events to record", DefaultValueFactory = _ => 20_000 };
        var profiles = new Option<int>("--profiles") { Description = "distinct profiles", DefaultValueFactory = _ => 2_000 };
        var warmup = new Option<int>("--warmup")
        {
            Description = "events recorded first, untimed, for other profiles: the service's code is compiled and tiered up (JIT) before the timed run",
            DefaultValueFactory = _ => 0,
        };
        var command = new Command("profiles", "Events/s appended and projected by ProfileProjection.\nExample: ./cdp bench profiles --events 100000 --profiles 10000 --warmup 60000")
        {
            events, profiles, warmup,
        };
        command.SetAction((r, ct) => RunAsync(r.GetValue(events), r.GetValue(profiles), r.GetValue(warmup), ct));
        return command;
    }

    private static async Task<int> RunAsync(int count, int profileCount, int warmup, CancellationToken ct)
    {
        await using var target = await ServiceUnderLoad.StartAsync("ProfileProjection", "benchprof");
        var platform = target.Platform;
        var bus = await target.StartBusAsync(ct);
        await using var db = NpgsqlDataSource.Create(platform.Environment.Postgres);

        if (warmup > 0)
        {
            AnsiConsole.MarkupLine($"warm-up: {warmup:N0} events for {profileCount:N0} other profiles, not timed");
            await ResolvedEventLoad.RecordAsync(bus, db, warmup, profileCount, seed: 8, ct, prefix: WarmupProfiles);
        }
        var clock = Stopwatch.StartNew();
        var recorded = await ResolvedEventLoad.RecordAsync(bus, db, count, profileCount, seed: 7, ct, prefix: TimedProfiles);
        var seconds = clock.Elapsed.TotalSeconds;

        await using var latency = db.CreateCommand("""
            select percentile_cont(array[0.5, 0.99]) within group (order by extract(epoch from (timestamp - coalesce(data->'Provenance'->>'ReceivedAt', data->'provenance'->>'receivedAt')::timestamptz)))
            from profiles.mt_events where type = 'tracked' and stream_id like $1 || '%'
            """);
        latency.Parameters.AddWithValue(TimedProfiles);
        var percentiles = (double[])(await latency.ExecuteScalarAsync(ct))!;
        var table = new Table().AddColumns("figure", "value");
        table.AddRow("events (profiles)", $"{count:N0} ({profileCount:N0})");
        table.AddRow("warm-up events before the timed run", $"{warmup:N0}");
        table.AddRow("appended and projected events/s", $"{recorded / seconds:N0}");
        table.AddRow("publish to append p50 / p99 (flat out, so mostly queueing)", $"{percentiles[0] * 1000:N0} ms / {percentiles[1] * 1000:N0} ms");
        table.AddRow("elapsed", $"{seconds:N1} s");
        AnsiConsole.Write(table);
        return 0;
    }
}

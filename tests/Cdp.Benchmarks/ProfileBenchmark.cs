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
    public static Command Command()
    {
        var events = new Option<int>("--events") { Description = "resolved events to record", DefaultValueFactory = _ => 20_000 };
        var profiles = new Option<int>("--profiles") { Description = "distinct profiles", DefaultValueFactory = _ => 2_000 };
        var command = new Command("profiles", "Events/s appended and projected by ProfileProjection.\nExample: ./cdp bench profiles --events 20000 --profiles 2000")
        {
            events, profiles,
        };
        command.SetAction((r, ct) => RunAsync(r.GetValue(events), r.GetValue(profiles), ct));
        return command;
    }

    private static async Task<int> RunAsync(int count, int profileCount, CancellationToken ct)
    {
        await using var target = await ServiceUnderLoad.StartAsync("ProfileProjection", "benchprof");
        var platform = target.Platform;
        var bus = await target.StartBusAsync(ct);
        await using var db = NpgsqlDataSource.Create(platform.Environment.Postgres);

        var clock = Stopwatch.StartNew();
        var recorded = await ResolvedEventLoad.RecordAsync(bus, db, count, profileCount, seed: 7, ct);
        var seconds = clock.Elapsed.TotalSeconds;

        await using var latency = db.CreateCommand("""
            select percentile_cont(array[0.5, 0.99]) within group (order by extract(epoch from (timestamp - coalesce(data->'Provenance'->>'ReceivedAt', data->'provenance'->>'receivedAt')::timestamptz)))
            from profiles.mt_events where type = 'tracked'
            """);
        var percentiles = (double[])(await latency.ExecuteScalarAsync(ct))!;
        var table = new Table().AddColumns("figure", "value");
        table.AddRow("events (profiles)", $"{count:N0} ({profileCount:N0})");
        table.AddRow("appended and projected events/s", $"{recorded / seconds:N0}");
        table.AddRow("publish to append p50 / p99 (flat out, so mostly queueing)", $"{percentiles[0] * 1000:N0} ms / {percentiles[1] * 1000:N0} ms");
        table.AddRow("elapsed", $"{seconds:N1} s");
        AnsiConsole.Write(table);
        return 0;
    }
}

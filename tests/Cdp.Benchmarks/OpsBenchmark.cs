using System.CommandLine;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Cdp.Testing;
using Npgsql;
using Spectre.Console;

namespace Cdp.Benchmarks;

/// Operator throughput: a profile store filled with N events, then `rebuild profiles` (Marten's daemon, in the
/// service) and `replay` of every event to a queue (the CLI, confirmed publishes), each timed end to end.
public static class OpsBenchmark
{
    public static Command Command()
    {
        var events = new Option<int>("--events") { Description = "customer events in the store", DefaultValueFactory = _ => 100_000 };
        var profiles = new Option<int>("--profiles") { Description = "distinct profiles", DefaultValueFactory = _ => 10_000 };
        var command = new Command("ops", "Rebuild and replay rates in events/s.\nExample: ./cdp bench ops --events 100000 --profiles 10000")
        {
            events, profiles,
        };
        command.SetAction((r, ct) => RunAsync(r.GetValue(events), r.GetValue(profiles), ct));
        return command;
    }

    private static async Task<int> RunAsync(int count, int profileCount, CancellationToken ct)
    {
        await using var target = await ServiceUnderLoad.StartAsync("ProfileProjection", "benchops");
        var platform = target.Platform;
        var bus = await target.StartBusAsync(ct);
        await using var db = NpgsqlDataSource.Create(platform.Environment.Postgres);
        var fill = Stopwatch.StartNew();
        await ResolvedEventLoad.RecordAsync(bus, db, count, profileCount, seed: 11, ct);
        var fillSeconds = fill.Elapsed.TotalSeconds;
        await using var head = db.CreateCommand("select max(seq_id) from profiles.mt_events");
        var stored = (long)(await head.ExecuteScalarAsync(ct))!;

        var usage = new ProcessUsage();
        usage.Track("ProfileProjection", () => [platform.ProcessIdOf("ProfileProjection")]).Track("PostgreSQL", () => ProcessUsage.ByUser("postgres"));
        usage.Start();
        var rebuild = Stopwatch.StartNew();
        using var admin = new HttpClient { BaseAddress = platform.Urls["ProfileProjection"] };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "dev-admin-token");
        (await admin.PostAsync("/v1/admin/rebuild", null, ct)).EnsureSuccessStatusCode();
        JsonElement status;
        do
        {
            await Task.Delay(250, ct);
            usage.Sample();
            status = await admin.GetFromJsonAsync<JsonElement>("/v1/admin/rebuild", ct);
        }
        while (status.GetProperty("state").GetString() is not ("completed" or "failed"));
        var rebuildSeconds = rebuild.Elapsed.TotalSeconds;
        var rebuildUsage = usage.Stop();
        if (status.GetProperty("state").GetString() == "failed") throw new InvalidOperationException($"rebuild failed: {status}");

        var replay = await AnsiConsole.Status().StartAsync("replaying every event to a queue", _ =>
            OpsCli.RunAsync(platform, "replay", "--queue", "bench-replay", "--create", "--json", "--checkpoint", Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}.json")));
        if (replay.ExitCode != 0) throw new InvalidOperationException($"replay failed: {replay}");

        var figures = new Dictionary<string, object>
        {
            ["events stored (profiles)"] = $"{stored:N0} ({profileCount:N0})",
            ["fill through ProfileProjection, events/s"] = Math.Round(count / fillSeconds),
            ["rebuild profiles, events/s"] = Math.Round(stored / rebuildSeconds),
            ["rebuild profiles, seconds"] = Math.Round(rebuildSeconds, 1),
            ["replay to a queue, events/s"] = replay.Json.GetProperty("eventsPerSecond").GetDouble(),
            ["replay to a queue, seconds"] = replay.Json.GetProperty("seconds").GetDouble(),
        };
        var table = new Table().AddColumns("figure", "value");
        foreach (var (k, v) in figures) table.AddRow(k, Markup.Escape(v.ToString()!));
        foreach (var u in rebuildUsage) table.AddRow($"during rebuild: {u.Name} CPU % of a core / peak MB", $"{u.CpuPercentOfOneCore} / {u.PeakWorkingSetMb}");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"written to {Markup.Escape(await new BenchResult("ops", DateTimeOffset.UtcNow, figures, rebuildUsage).WriteAsync())}.json|md");
        return 0;
    }
}

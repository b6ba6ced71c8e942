using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Npgsql;
using Spectre.Console;

namespace Cdp.Ops.Replay;

/// `replay`: stored customer events, filtered, republished as documented JSON (ReplayedEvent) to a queue or
/// exchange, in store order, paced, resumable from a checkpoint.
public static class ReplayCommand
{
    private static readonly JsonSerializerOptions Compact = new(JsonSerializerDefaults.Web);

    private static readonly Option<string?> From = new("--from") { Description = "events that happened at or after this instant (ISO 8601, e.g. 2026-11-01T00:00Z)" };
    private static readonly Option<string?> To = new("--to") { Description = "events that happened before this instant" };
    private static readonly Option<string[]> Types = List("--type", "Segment call types: identify, track, page, screen, group, alias");
    private static readonly Option<string[]> Events = List("--event", "track event names, e.g. \"Order Completed\"");
    private static readonly Option<string[]> Sources = List("--source", "source ids the events came from");
    private static readonly Option<string?> Profile = new("--profile") { Description = "one profile's events, including those of profiles merged into it" };
    private static readonly Option<string?> Queue = new("--queue") { Description = "publish to this queue" };
    private static readonly Option<string?> Exchange = new("--exchange") { Description = "publish to this exchange (a fanout exchange when created)" };
    private static readonly Option<string?> RoutingKey = new("--routing-key") { Description = "routing key for --exchange" };
    private static readonly Option<bool> CreateTarget = new("--create") { Description = "declare the queue or exchange (durable) if it does not exist" };
    private static readonly Option<int> Rate = new("--rate") { Description = "at most this many events per second (0: as fast as the broker confirms)" };
    private static readonly Option<long> Limit = new("--limit") { Description = "stop after this many events; the next run resumes from the checkpoint" };
    private static readonly Option<string?> Checkpoint = new("--checkpoint") { Description = "checkpoint file (default .cdp-ops/replay-TARGET.json)" };
    private static readonly Option<bool> Restart = new("--restart") { Description = "ignore an existing checkpoint and replay from the beginning" };
    private static readonly Option<bool> DryRun = new("--dry-run") { Description = "only count the matching events, by type" };
    private static readonly Option<string> Schema = new("--schema")
    {
        Description = "the profile store's PostgreSQL schema", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CDP_PROFILES_SCHEMA") ?? "profiles",
    };

    public static Command Create()
    {
        var command = new Command("replay", """
            Republishes stored customer events to a queue or exchange, in the order they were stored, as JSON
            (see "Replaying events" in the README for the message format). Filters combine with AND; a list option
            matches any of its values. The replay ends at the last event stored when it began, writes a checkpoint
            after every confirmed page, and resumes from it when run again with the same filter and target.

            Examples:
              ./cdp ops replay --dry-run --event "Order Completed" --from 2026-11-01T00:00Z
              ./cdp ops replay --queue warehouse-backfill --create --type track --source web --rate 2000
              ./cdp ops replay --exchange reprocess --profile 0f8e3c2a... --json
            """)
        {
            From, To, Types, Events, Sources, Profile, Queue, Exchange, RoutingKey, CreateTarget, Rate, Limit, Checkpoint, Restart, DryRun, Schema,
        };
        command.SetAction(OpsCli.Action(RunAsync));
        return command;
    }

    private static Option<string[]> List(string name, string description) => new(name)
    {
        Description = description + " (repeat the option or separate with commas)", AllowMultipleArgumentsPerToken = true,
    };

    private static string[] Values(ParseResult r, Option<string[]> option) =>
        [.. (r.GetValue(option) ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];

    private static DateTimeOffset? Instant(ParseResult r, Option<string?> option) =>
        r.GetValue(option) is not { } text ? null
        : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant) ? instant
        : throw new UsageException($"{option.Name} '{text}' is not a date and time; use ISO 8601, e.g. 2026-11-01T00:00Z.");

    private static async Task<int> RunAsync(ParseResult r, OpsSettings settings, CancellationToken ct)
    {
        var filter = ReplayFilter.Create(Instant(r, From), Instant(r, To), Values(r, Types), Values(r, Events), Values(r, Sources), r.GetValue(Profile));
        var (queue, exchange, dryRun) = (r.GetValue(Queue), r.GetValue(Exchange), r.GetValue(DryRun));
        if (!dryRun && (queue is null) == (exchange is null)) throw new UsageException("give one of --queue or --exchange (or --dry-run to only count).");
        if (r.GetValue(Rate) < 0) throw new UsageException("--rate must be 0 (unlimited) or more.");
        var schema = r.GetValue(Schema)!;
        if (!System.Text.RegularExpressions.Regex.IsMatch(schema, "^[a-z_][a-z0-9_]*$")) throw new UsageException($"--schema '{schema}' is not a schema name.");

        await using var db = NpgsqlDataSource.Create(settings.Postgres);
        await EnsureStoreAsync(db, schema, ct);
        var (where, parameters) = filter.Where(schema);

        if (dryRun)
        {
            var counts = await CountByTypeAsync(db, schema, where, parameters, 0, await HeadAsync(db, schema, ct), ct);
            var total = counts.Values.Sum();
            if (settings.Json) OpsCli.WriteJson(new { filter = filter.Describe(), matching = total, byType = counts });
            else
            {
                var table = new Table().AddColumns("type", "events");
                foreach (var (type, count) in counts) table.AddRow(type, count.ToString("N0"));
                table.AddRow("[bold]total[/]", $"[bold]{total:N0}[/]");
                AnsiConsole.MarkupLine($"dry run: {Markup.Escape(filter.Describe())}");
                AnsiConsole.Write(table);
            }
            return ExitCodes.Ok;
        }

        var targetName = queue is not null ? $"queue:{queue}" : $"exchange:{exchange}";
        var checkpointPath = r.GetValue(Checkpoint)
            ?? Path.Combine(".cdp-ops", $"replay-{string.Concat(targetName.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'))}.json");
        var checkpoint = r.GetValue(Restart) ? null : await ReplayCheckpoint.ReadAsync(checkpointPath, ct);
        if (checkpoint is not null && (checkpoint.Filter != filter.Describe() || checkpoint.Target != targetName))
        {
            throw new UsageException($"checkpoint {checkpointPath} is for another replay ({checkpoint.Target}, {checkpoint.Filter}). " +
                                     "Fix: pass --restart to start this one over it, or another --checkpoint.");
        }
        if (checkpoint is { Completed: true })
        {
            Report(settings, filter, targetName, checkpointPath, checkpoint, 0, 0, TimeSpan.Zero, "already completed; --restart replays again");
            return ExitCodes.Ok;
        }
        checkpoint ??= new ReplayCheckpoint(filter.Describe(), targetName, await HeadAsync(db, schema, ct), 0, 0, false, DateTimeOffset.UtcNow);
        // The count is for the progress bar and the report only. Whether the replay is complete is decided by running out
        // of matching events: the --profile filter follows merges, so a merge during the replay can make more events match
        // than were counted, and a completed checkpoint would never send them.
        var remaining = (await CountByTypeAsync(db, schema, where, parameters, checkpoint.After, checkpoint.HighWater, ct)).Values.Sum();
        long? limit = r.GetValue(Limit) is > 0 and var l ? l : null;

        await using var target = await ReplayTarget.OpenAsync(settings.RabbitMq, queue, exchange, r.GetValue(RoutingKey), r.GetValue(CreateTarget), ct);
        var rate = r.GetValue(Rate);
        var pageSize = rate > 0 ? Math.Clamp(rate / 10, 1, 1000) : 1000;
        var clock = Stopwatch.StartNew();
        long sent = 0;
        var exhausted = false;

        async Task PumpAsync(Action<int> progressed)
        {
            while (limit is not { } most || sent < most)
            {
                var size = limit is { } max ? (int)Math.Min(pageSize, max - sent) : pageSize;
                var page = await PageAsync(db, schema, where, parameters, checkpoint.After, checkpoint.HighWater, size, ct);
                if (page.Count == 0)
                {
                    exhausted = true;
                    return;
                }
                await target.PublishAsync([.. page.Select(e => (e.EventId.ToString(), JsonSerializer.SerializeToUtf8Bytes(e, Compact)))], ct);
                sent += page.Count;
                checkpoint = checkpoint with { After = page[^1].Sequence, Published = checkpoint.Published + page.Count, UpdatedAt = DateTimeOffset.UtcNow };
                await checkpoint.WriteAsync(checkpointPath);
                progressed(page.Count);
                if (rate > 0 && TimeSpan.FromSeconds((double)sent / rate) - clock.Elapsed is { TotalMilliseconds: > 0 } ahead) await Task.Delay(ahead, ct);
            }
            // Stopped by --limit: complete if nothing more matches.
            exhausted = (await PageAsync(db, schema, where, parameters, checkpoint.After, checkpoint.HighWater, 1, ct)).Count == 0;
        }

        if (settings.Json) await PumpAsync(_ => { });
        else
        {
            await AdminJob.Progress().StartAsync(async progress =>
                {
                    var task = progress.AddTask($"replaying to {Markup.Escape(target.Name)}", maxValue: Math.Max(1, Math.Min(limit ?? remaining, remaining)));
                    await PumpAsync(n => task.Increment(n));
                    task.Value = task.MaxValue;
                });
        }

        if (exhausted)
        {
            checkpoint = checkpoint with { After = checkpoint.HighWater, Completed = true, UpdatedAt = DateTimeOffset.UtcNow };
            await checkpoint.WriteAsync(checkpointPath);
        }
        Report(settings, filter, targetName, checkpointPath, checkpoint, remaining, sent, clock.Elapsed,
            checkpoint.Completed ? "completed" : $"stopped at --limit; about {Math.Max(0, remaining - sent):N0} left: run again to resume");
        return ExitCodes.Ok;
    }

    private static void Report(OpsSettings settings, ReplayFilter filter, string target, string checkpointPath, ReplayCheckpoint checkpoint,
        long matching, long published, TimeSpan elapsed, string outcome)
    {
        var perSecond = elapsed.TotalSeconds > 0 ? Math.Round(published / elapsed.TotalSeconds) : 0;
        if (settings.Json)
        {
            OpsCli.WriteJson(new
            {
                filter = filter.Describe(), target, matching, published, publishedInAll = checkpoint.Published, completed = checkpoint.Completed,
                seconds = Math.Round(elapsed.TotalSeconds, 2), eventsPerSecond = perSecond, checkpoint = checkpointPath, outcome,
            });
            return;
        }
        AnsiConsole.MarkupLine($"{Markup.Escape(outcome)}: published {published:N0} of {matching:N0} to {Markup.Escape(target)} in " +
                               $"{elapsed.TotalSeconds:F1} s ({perSecond:N0} events/s); {checkpoint.Published:N0} in all; checkpoint {Markup.Escape(checkpointPath)}");
    }

    private static async Task EnsureStoreAsync(NpgsqlDataSource db, string schema, CancellationToken ct)
    {
        await using var command = db.CreateCommand("select to_regclass($1) is not null");
        command.Parameters.Add(new NpgsqlParameter { Value = $"{schema}.mt_events" });
        if (await command.ExecuteScalarAsync(ct) is not true)
        {
            throw new UsageException($"there is no event store in schema '{schema}' of this database. Fix: pass --postgres for the platform's " +
                                     "database, or --schema if ProfileProjection runs with another Cdp:Schema.");
        }
    }

    private static async Task<long> HeadAsync(NpgsqlDataSource db, string schema, CancellationToken ct)
    {
        // The daemon's high-water mark, not max(seq_id): appends commit out of sequence order, and an event below
        // max(seq_id) may still become visible; below the mark every sequence is committed or known to be a gap.
        await using var command = db.CreateCommand($"""
            select coalesce((select last_seq_id from {schema}.mt_event_progression where name = 'HighWaterMark'),
                            (select max(seq_id) from {schema}.mt_events), 0)
            """);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private static NpgsqlCommand Command(NpgsqlDataSource db, string sql, List<NpgsqlParameter> parameters, long after, long high)
    {
        var command = db.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = after });
        command.Parameters.Add(new NpgsqlParameter { Value = high });
        foreach (var p in parameters) command.Parameters.Add(p.Clone());
        return command;
    }

    private static async Task<SortedDictionary<string, long>> CountByTypeAsync(NpgsqlDataSource db, string schema, string where,
        List<NpgsqlParameter> parameters, long after, long high, CancellationToken ct)
    {
        await using var command = Command(db, $"select type, count(*) from {schema}.mt_events where {where} group by type", parameters, after, high);
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var callTypes = ReplayFilter.StoredTypes.ToDictionary(p => p.Value, p => p.Key);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) counts[callTypes[reader.GetString(0)]] = reader.GetInt64(1);
        return counts;
    }

    private static async Task<List<ReplayedEvent>> PageAsync(NpgsqlDataSource db, string schema, string where, List<NpgsqlParameter> parameters,
        long after, long high, int size, CancellationToken ct)
    {
        var rows = new List<(long Seq, Guid Id, string Stream, string Type, string Data, DateTimeOffset RecordedAt)>();
        await using (var command = Command(db,
                         $"select seq_id, id, stream_id, type, data::text, timestamp from {schema}.mt_events where {where} order by seq_id limit {size}",
                         parameters, after, high))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                rows.Add((reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                    reader.GetFieldValue<DateTimeOffset>(5)));
            }
        }
        var survivors = await SurvivorsAsync(db, schema, rows.Select(r => r.Stream).Distinct().ToList(), ct);
        var callTypes = ReplayFilter.StoredTypes.ToDictionary(p => p.Value, p => p.Key);
        return [.. rows.Select(row =>
        {
            var data = JsonDocument.Parse(row.Data).RootElement.Clone();
            return new ReplayedEvent(row.Seq, row.Id, survivors.GetValueOrDefault(row.Stream, row.Stream), row.Stream, callTypes[row.Type],
                data.TryGetProperty("Event", out var name) ? name.GetString() : null,
                data.TryGetProperty("Timestamp", out var at) && at.TryGetDateTimeOffset(out var happened) ? happened : null,
                row.RecordedAt, data);
        })];
    }

    // Where each stream's profile lives on after merges: followed a few hops, as the profile API does.
    private static async Task<Dictionary<string, string>> SurvivorsAsync(NpgsqlDataSource db, string schema, List<string> streams, CancellationToken ct)
    {
        var next = new Dictionary<string, string>();
        var wanted = streams;
        for (var hop = 0; hop < 10 && wanted.Count > 0; hop++)
        {
            await using var command = db.CreateCommand(
                $"select id, data->>'MergedInto' from {schema}.mt_doc_customerprofile where id = any($1) and data->>'MergedInto' is not null");
            command.Parameters.Add(new NpgsqlParameter { Value = wanted.ToArray() });
            var found = new List<string>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                next[reader.GetString(0)] = reader.GetString(1);
                found.Add(reader.GetString(1));
            }
            wanted = [.. found.Where(f => !next.ContainsKey(f)).Distinct()];
        }
        return streams.ToDictionary(s => s, s =>
        {
            var id = s;
            for (var hop = 0; hop < 10 && next.TryGetValue(id, out var survivor); hop++) id = survivor;
            return id;
        });
    }
}

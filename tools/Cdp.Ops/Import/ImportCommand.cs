using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Cdp.Ops.Import;

/// `import FILE`: second- and third-party data as identify calls under a named source, through the Collector.
public static class ImportCommand
{
    private static readonly Argument<FileInfo> FileArgument = new("FILE") { Description = "a CSV file with a header row, or NDJSON (one object per line)" };
    private static readonly Option<string> Source = new("--source") { Description = "the Collector source the rows arrive under", Required = true };
    private static readonly Option<string?> DataParty = new("--data-party")
    {
        Description = "first, second or third: creates the source with it if it does not exist, and must match it if it does",
    };
    private static readonly Option<string[]> Maps = new("--map")
    {
        Description = "COLUMN=TARGET, TARGET one of userId, anonymousId, timestamp, traits.NAME, skip (repeatable); other columns become traits",
        AllowMultipleArgumentsPerToken = true,
    };
    private static readonly Option<string> Key = new("--key")
    {
        Description = "the column that identifies a row without userId/anonymousId (becomes anonymousId SOURCE:VALUE)", DefaultValueFactory = _ => "email",
    };
    private static readonly Option<string?> Format = new("--format") { Description = "csv or ndjson (default: from the file's extension)" };
    private static readonly Option<string?> Rejects = new("--rejects") { Description = "where rejected rows go, one JSON line each with its reason (default FILE.rejected.ndjson)" };
    private static readonly Option<string?> Checkpoint = new("--checkpoint") { Description = "checkpoint file (default FILE.import-checkpoint.json)" };
    private static readonly Option<bool> Restart = new("--restart") { Description = "ignore an existing checkpoint and import from the first row" };
    private static readonly Option<int> BatchSize = new("--batch-size") { Description = "rows per /v1/batch call", DefaultValueFactory = _ => 100 };
    private static readonly Option<int> Concurrency = new("--concurrency") { Description = "batches in flight", DefaultValueFactory = _ => 4 };

    public static Command Create()
    {
        var command = new Command("import", """
            Imports rows from CSV or NDJSON as Segment identify calls through the Collector (the same validation as any
            event), under a named source and its data party. Rows the Collector or the mapping refuses go to the rejects
            file with the reason; the rest are imported. Writes a checkpoint after every batch and resumes from it when
            run again; message ids come from the file and the row, so a row sent twice is one event.
            Exits 0 when every row was imported, 1 when some were rejected.

            Examples:
              ./cdp ops import vendor.csv --source acme-enrichment --data-party third
              ./cdp ops import crm.ndjson --source crm --data-party second --map crm_id=userId --map plan=traits.crm_plan
              ./cdp ops import leads.csv --source leads --key work_email --map work_email=traits.email --json
            """)
        {
            FileArgument, Source, DataParty, Maps, Key, Format, Rejects, Checkpoint, Restart, BatchSize, Concurrency,
        };
        command.SetAction(OpsCli.Action(RunAsync));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult r, OpsSettings settings, CancellationToken ct)
    {
        var file = r.GetValue(FileArgument)!;
        if (!file.Exists) throw new UsageException($"{file.FullName} does not exist.");
        var format = r.GetValue(Format) ?? file.Extension.ToLowerInvariant() switch
        {
            ".csv" => "csv",
            ".ndjson" or ".jsonl" => "ndjson",
            _ => throw new UsageException($"cannot tell the format of {file.Name} from its extension; pass --format csv or --format ndjson."),
        };
        var (batchSize, concurrency) = (r.GetValue(BatchSize), r.GetValue(Concurrency));
        if (batchSize is < 1 or > 2500) throw new UsageException("--batch-size must be from 1 to 2500 (Segment's batch limit).");
        if (concurrency is < 1 or > 64) throw new UsageException("--concurrency must be from 1 to 64.");
        var sourceId = r.GetValue(Source)!;
        var (writeKey, dataParty) = await SourceAsync(settings, sourceId, r.GetValue(DataParty), ct);
        var mapping = ColumnMapping.Parse(r.GetValue(Maps) ?? [], r.GetValue(Key)!, sourceId);
        var hash = await HashAsync(file, ct);
        var rejectsPath = r.GetValue(Rejects) ?? file.FullName + ".rejected.ndjson";
        var checkpointPath = r.GetValue(Checkpoint) ?? file.FullName + ".import-checkpoint.json";

        var checkpoint = r.GetValue(Restart) ? null : await ImportCheckpoint.ReadAsync(checkpointPath, ct);
        if (checkpoint is not null && (checkpoint.FileHash != hash || checkpoint.SourceId != sourceId))
        {
            throw new UsageException($"checkpoint {checkpointPath} is for {(checkpoint.FileHash != hash ? "another version of the file" : $"source {checkpoint.SourceId}")}. " +
                                     "Fix: pass --restart to import this file from its first row, or another --checkpoint.");
        }
        var resuming = checkpoint is not null;
        checkpoint ??= new ImportCheckpoint(file.FullName, hash, sourceId, 0, 0, 0, false, DateTimeOffset.UtcNow);
        var clock = Stopwatch.StartNew();
        if (!checkpoint.Completed)
        {
            await using var rejects = new StreamWriter(rejectsPath, append: resuming);
            using var client = CollectorBatches.ClientFor(settings.Collector, writeKey);
            var batches = new CollectorBatches(client);
            await using var stream = file.OpenRead();

            async Task PumpAsync(Action<long> progressed)
            {
                var inFlight = new Queue<(Task<CollectorBatches.Outcome> Sent, List<(ImportRow Row, JsonObject Call)> Calls, List<(ImportRow Row, string Reason)> Refused, long LastRow)>();
                async Task CompleteOldestAsync()
                {
                    var (sent, calls, refused, lastRow) = inFlight.Dequeue();
                    var outcome = await sent;
                    refused.AddRange(outcome.Rejected.Select(x => (calls[x.Index].Row, x.Reason)));
                    foreach (var (row, reason) in refused.OrderBy(x => x.Row.Number))
                    {
                        await rejects.WriteLineAsync(JsonSerializer.Serialize(new { row = row.Number, reason, fields = row.Fields }));
                    }
                    await rejects.FlushAsync(ct);
                    checkpoint = checkpoint with
                    {
                        Row = lastRow, Accepted = checkpoint.Accepted + outcome.Accepted, Rejected = checkpoint.Rejected + refused.Count, UpdatedAt = DateTimeOffset.UtcNow,
                    };
                    await checkpoint.WriteAsync(checkpointPath);
                    progressed(stream.Position);
                }

                var batch = new List<(ImportRow Row, JsonObject Call)>();
                var refusedHere = new List<(ImportRow Row, string Reason)>();
                var bytes = 0;
                long last = checkpoint.Row;
                async Task DispatchAsync()
                {
                    var calls = batch;
                    inFlight.Enqueue((calls.Count > 0 ? batches.SendAsync([.. calls.Select(c => c.Call)], ct) : Task.FromResult(new CollectorBatches.Outcome(0, [])),
                        calls, refusedHere, last));
                    (batch, refusedHere, bytes) = ([], [], 0);
                    if (inFlight.Count >= concurrency) await CompleteOldestAsync();
                }

                foreach (var row in ImportReader.Read(stream, format).Where(x => x.Number > checkpoint.Row))
                {
                    var (call, reason) = row.Unreadable is { } unreadable ? (null, unreadable) : mapping.Map(row, $"import-{hash}-{row.Number}");
                    if (call is null)
                    {
                        refusedHere.Add((row, reason!));
                    }
                    else
                    {
                        var size = call.ToJsonString().Length;
                        // Segment's request limit is 500 KB: a batch stays under 400 KB of events.
                        if (batch.Count > 0 && bytes + size > 400 * 1024) await DispatchAsync();
                        batch.Add((row, call));
                        bytes += size;
                    }
                    // Only now is the row in the batch that the checkpoint will cover.
                    last = row.Number;
                    if (batch.Count + refusedHere.Count >= batchSize) await DispatchAsync();
                }
                if (batch.Count + refusedHere.Count > 0) await DispatchAsync();
                while (inFlight.Count > 0) await CompleteOldestAsync();
            }

            if (settings.Json) await PumpAsync(_ => { });
            else
            {
                await AdminJob.Progress().StartAsync(async progress =>
                    {
                        var task = progress.AddTask($"importing {Markup.Escape(file.Name)}", maxValue: Math.Max(1, file.Length));
                        await PumpAsync(position => task.Value = Math.Min(task.MaxValue, position));
                        task.Value = task.MaxValue;
                    });
            }
            checkpoint = checkpoint with { Completed = true, UpdatedAt = DateTimeOffset.UtcNow };
            await checkpoint.WriteAsync(checkpointPath);
        }

        var seconds = clock.Elapsed.TotalSeconds;
        if (settings.Json)
        {
            OpsCli.WriteJson(new
            {
                file = file.FullName, source = sourceId, dataParty, rows = checkpoint.Row, accepted = checkpoint.Accepted, rejected = checkpoint.Rejected,
                rejects = rejectsPath, checkpoint = checkpointPath, resumed = resuming, seconds = Math.Round(seconds, 2),
            });
        }
        else
        {
            AnsiConsole.MarkupLine($"imported {checkpoint.Accepted:N0} of {checkpoint.Row:N0} rows under source {Markup.Escape(sourceId)} ({dataParty} party) " +
                                   $"in {seconds:F1} s" + (checkpoint.Rejected > 0 ? $"; [yellow]{checkpoint.Rejected:N0} rejected[/]: {Markup.Escape(rejectsPath)}" : ""));
        }
        return checkpoint.Rejected == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }

    // The source's write key, creating the source when it is new and a data party is given.
    private static async Task<(string WriteKey, string DataParty)> SourceAsync(OpsSettings settings, string sourceId, string? dataParty, CancellationToken ct)
    {
        if (dataParty is not null and not ("first" or "second" or "third")) throw new UsageException($"--data-party '{dataParty}' is not first, second or third.");
        using var client = settings.AdminClient(settings.Collector);
        HttpResponseMessage found;
        try
        {
            found = await client.GetAsync($"/v1/admin/sources/{Uri.EscapeDataString(sourceId)}", ct);
        }
        catch (HttpRequestException e)
        {
            throw new UnreachableException($"the Collector at {settings.Collector} did not answer ({e.Message}). Fix: ./cdp up, or pass --collector.", e);
        }
        if (found.StatusCode == HttpStatusCode.Unauthorized) throw new UsageException("the Collector refused the admin token. Fix: pass --admin-token (or CDP_ADMIN_TOKEN).");
        if (found.StatusCode == HttpStatusCode.NotFound)
        {
            if (dataParty is null) throw new UsageException($"source '{sourceId}' does not exist. Fix: add --data-party first|second|third to create it.");
            var created = await client.PutAsJsonAsync($"/v1/admin/sources/{Uri.EscapeDataString(sourceId)}",
                new { name = $"{sourceId} (import)", writeKey = $"import-{Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant()}", dataParty }, ct);
            if (!created.IsSuccessStatusCode) throw new UsageException($"could not create source '{sourceId}': {await created.Content.ReadAsStringAsync(ct)}");
            found = created;
        }
        found.EnsureSuccessStatusCode();
        var source = await found.Content.ReadFromJsonAsync<JsonElement>(ct);
        var party = source.GetProperty("dataParty").GetString()!;
        if (dataParty is not null && party != dataParty)
        {
            throw new UsageException($"source '{sourceId}' is {party}-party data, not {dataParty}. Fix: drop --data-party, or use another source.");
        }
        if (!source.GetProperty("enabled").GetBoolean()) throw new UsageException($"source '{sourceId}' is disabled. Fix: enable it (PUT /v1/admin/sources/{sourceId}).");
        return (source.GetProperty("writeKey").GetString()!, party);
    }

    private static async Task<string> HashAsync(FileInfo file, CancellationToken ct)
    {
        await using var stream = file.OpenRead();
        return Convert.ToHexString(await SHA256.HashDataAsync(stream, ct))[..16].ToLowerInvariant();
    }
}

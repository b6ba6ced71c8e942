using System.CommandLine;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Spectre.Console;

namespace Cdp.Ops.Identity;

/// `identity re-resolve --rules FILE [--dry-run]`: what other identity rules would change, from the ingest log, and applying them.
public static class ReResolveCommand
{
    private static readonly Option<FileInfo> Rules = new("--rules")
    {
        Description = "identity rules as JSON, in the shape of the Cdp:Identity section (Rules, DefaultRule, Blocked, Extract, MaxMerges, MaxIdentifiers)",
        Required = true,
    };
    private static readonly Option<bool> DryRun = new("--dry-run") { Description = "print the difference the rules would make; nothing changes" };
    private static readonly Option<int> Sample = new("--sample") { Description = "affected profiles to describe (0-100)", DefaultValueFactory = _ => 10 };

    public static Command Create()
    {
        var identity = new Command("identity", "The identity graph.");
        var command = new Command("re-resolve", """
            Runs identity resolution again over the ingest log (every collected event, in arrival order) with other rules,
            in IdentityResolution, beside the live graph, and prints the difference: profiles before and after, merges
            that would appear (joins) or be undone (splits), events that would move, and a sample of affected profiles
            with their identifiers.
            Without --dry-run the rules are applied: resolution is held, the graph is switched in one transaction and
            the rules stay in force (they replace Cdp:Identity). Profiles the rules regroup are superseded by new
            ones, including splitting profiles they no longer join; their events are re-attributed and the profiles
            and audiences follow as for any event. Profiles the rules leave whole keep their ids.

            Examples:
              ./cdp ops identity re-resolve --rules stricter-email.json --dry-run
              ./cdp ops identity re-resolve --rules rules.json --dry-run --sample 50 --json
              ./cdp ops identity re-resolve --rules stricter-email.json
            rules.json: {"Rules":{"email":{"Priority":2,"Limit":1}},"Blocked":{"Exact":["test@example.com"]}}
            """)
        {
            Rules, DryRun, Sample,
        };
        command.SetAction(OpsCli.Action(RunAsync));
        identity.Subcommands.Add(command);
        return identity;
    }

    private static async Task<int> RunAsync(ParseResult r, OpsSettings settings, CancellationToken ct)
    {
        var apply = !r.GetValue(DryRun);
        var rules = r.GetValue(Rules)!;
        if (!rules.Exists) throw new UsageException($"--rules {rules.FullName} does not exist.");
        using var client = settings.AdminClient(settings.Identity);
        HttpResponseMessage started;
        try
        {
            started = await client.PostAsync($"/v1/admin/re-resolve/{(apply ? "apply" : "dry-run")}?sample={r.GetValue(Sample)}",
                new StringContent(await File.ReadAllTextAsync(rules.FullName, ct), System.Text.Encoding.UTF8, "application/json"), ct);
        }
        catch (HttpRequestException e)
        {
            throw new UnreachableException($"IdentityResolution at {settings.Identity} did not answer ({e.Message}). Fix: ./cdp up, or pass --identity.", e);
        }
        if (started.StatusCode == HttpStatusCode.Unauthorized) throw new UsageException("IdentityResolution refused the admin token. Fix: pass --admin-token.");
        if (started.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge)
        {
            var problem = await started.Content.ReadFromJsonAsync<JsonElement>(ct);
            throw new UsageException($"{rules.Name}: {problem.GetProperty("detail").GetString()}");
        }
        if (started.StatusCode == HttpStatusCode.Conflict)
        {
            await Console.Error.WriteLineAsync("error: another re-resolution is running in IdentityResolution; wait for it (GET /v1/admin/re-resolve) and run this again.");
            return ExitCodes.Failed;
        }
        started.EnsureSuccessStatusCode();

        JsonElement status = default;
        Task FollowAsync(Action<JsonElement> report) => AdminJob.FollowAsync(client, "/v1/admin/re-resolve", "IdentityResolution",
            s => report(status = s), ct);
        if (settings.Json) await FollowAsync(_ => { });
        else
        {
            await AdminJob.Progress().StartAsync(async progress =>
                {
                    var task = progress.AddTask(apply ? "applying the rules to the ingest log" : "resolving the ingest log again", maxValue: 1);
                    await FollowAsync(s =>
                    {
                        task.MaxValue = Math.Max(1, s.GetProperty("total").GetInt64());
                        task.Value = Math.Min(task.MaxValue, s.GetProperty("processed").GetInt64());
                    });
                    task.Value = task.MaxValue;
                });
        }
        if (status.GetProperty("state").GetString() == "failed")
        {
            await Console.Error.WriteLineAsync($"error: the re-resolution failed, nothing changed: {status.GetProperty("error").GetString()}");
            return ExitCodes.Failed;
        }
        var result = status.GetProperty("result");
        if (settings.Json)
        {
            OpsCli.WriteJson(result);
            return ExitCodes.Ok;
        }
        var diff = apply ? result.GetProperty("difference") : result;
        var summary = new Table().AddColumns("", "today", "with the new rules");
        summary.AddRow("events", $"{diff.GetProperty("events").GetInt64():N0}", "");
        summary.AddRow("profiles", $"{diff.GetProperty("profilesBefore").GetInt32():N0}", $"{diff.GetProperty("profilesAfter").GetInt32():N0}");
        summary.AddRow("unresolvable events", $"{diff.GetProperty("unresolvableBefore").GetInt32():N0}", $"{diff.GetProperty("unresolvableAfter").GetInt32():N0}");
        summary.AddRow("profiles split (merges undone)", "", $"{diff.GetProperty("splits").GetInt32():N0}");
        summary.AddRow("profiles joined (new merges)", "", $"{diff.GetProperty("joins").GetInt32():N0}");
        summary.AddRow("events moving profile", "", $"{diff.GetProperty("eventsMoved").GetInt64():N0}");
        AnsiConsole.Write(summary);
        foreach (var affected in diff.GetProperty("sample").EnumerateArray())
        {
            var table = new Table().Title(affected.GetProperty("change").GetString()!).AddColumns("", "profile", "events", "identifiers");
            foreach (var (side, key) in new[] { ("today", "before"), ("new rules", "after") })
            {
                foreach (var part in affected.GetProperty(key).EnumerateArray())
                {
                    table.AddRow(side, Markup.Escape(part.GetProperty("profileId").GetString()!), $"{part.GetProperty("events").GetInt64():N0}",
                        Markup.Escape(string.Join(", ", part.GetProperty("identifiers").EnumerateArray().Select(i => i.GetString()))));
                }
            }
            AnsiConsole.Write(table);
        }
        AnsiConsole.MarkupLine(apply
            ? $"applied as {Markup.Escape(result.GetProperty("runId").GetString()!)}: {result.GetProperty("profilesSuperseded").GetInt32():N0} profiles superseded, " +
              $"{result.GetProperty("profilesCreated").GetInt32():N0} created, {result.GetProperty("eventsReattributed").GetInt64():N0} events re-attributed " +
              $"in {diff.GetProperty("seconds").GetDouble():F1} s; profiles and audiences follow as the events are recorded (./cdp ops status shows the queues)."
            : $"dry run over {diff.GetProperty("events").GetInt64():N0} events in {diff.GetProperty("seconds").GetDouble():F1} s; nothing changed.");
        return ExitCodes.Ok;
    }
}

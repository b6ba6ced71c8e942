using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Spectre.Console;

namespace Cdp.Ops.Rebuild;

/// `rebuild profiles|audiences`: asks the owning service to rebuild its projections and follows the progress.
public static class RebuildCommand
{
    public static Command Create()
    {
        var command = new Command("rebuild", """
            Rebuilds projections from the event store, in the service that owns them.
            The service holds its consumers (messages wait on the broker), lets its subscriptions catch up, rebuilds,
            and resumes; its profile or audience API answers 503 with Retry-After meanwhile. Nothing is lost.

            Examples:
              ./cdp ops rebuild profiles
              ./cdp ops rebuild audiences --json
            """);
        command.Subcommands.Add(Target("profiles", "the unified profiles (ProfileProjection's CustomerProfile)", s => s.Profiles));
        command.Subcommands.Add(Target("audiences", "audience definitions and memberships (Activation's Audience, ProfileMemberships, AudienceMember)",
            s => s.Activation));
        return command;
    }

    private static Command Target(string name, string what, Func<OpsSettings, Uri> service)
    {
        var command = new Command(name, $"Rebuild {what}.");
        command.SetAction(OpsCli.Action((_, settings, ct) => RunAsync(settings, service(settings), ct)));
        return command;
    }

    private static async Task<int> RunAsync(OpsSettings settings, Uri service, CancellationToken ct)
    {
        using var client = settings.AdminClient(service);
        HttpResponseMessage started;
        try
        {
            started = await client.PostAsync("/v1/admin/rebuild", null, ct);
        }
        catch (HttpRequestException e)
        {
            throw new UnreachableException($"{service} did not answer ({e.Message}). Fix: start the platform (./cdp up) or pass the service's URL.", e);
        }
        if (started.StatusCode == HttpStatusCode.Unauthorized)
        {
            throw new UsageException($"{service} refused the admin token. Fix: pass --admin-token (or CDP_ADMIN_TOKEN) with the service's Cdp:AdminToken.");
        }
        if (started.StatusCode != HttpStatusCode.Conflict && !started.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{service} answered {(int)started.StatusCode}: {await started.Content.ReadAsStringAsync(ct)}");
        }
        if (started.StatusCode == HttpStatusCode.Conflict && !settings.Json)
        {
            AnsiConsole.MarkupLine("[yellow]a rebuild is already running: following it[/]");
        }

        var clock = Stopwatch.StartNew();
        JsonElement status;
        if (settings.Json)
        {
            status = await AdminJob.FollowAsync(client, "/v1/admin/rebuild", "the service", _ => { }, ct);
        }
        else
        {
            status = default;
            await AdminJob.Progress().StartAsync(async progress =>
                {
                    var tasks = new Dictionary<string, ProgressTask>();
                    status = await AdminJob.FollowAsync(client, "/v1/admin/rebuild", "the service", s =>
                    {
                        var total = Math.Max(1, s.GetProperty("total").GetInt64());
                        if (s.GetProperty("current").GetString() is { } current)
                        {
                            if (!tasks.TryGetValue(current, out var task)) tasks[current] = task = progress.AddTask(Markup.Escape(current), maxValue: total);
                            task.MaxValue = total;
                            task.Value = Math.Min(total, s.GetProperty("processed").GetInt64());
                        }
                        foreach (var done in tasks.Where(t => t.Key != s.GetProperty("current").GetString())) done.Value.Value = done.Value.MaxValue;
                    }, ct);
                    foreach (var task in tasks.Values) task.Value = task.MaxValue;
                });
        }

        var state = status.GetProperty("state").GetString();
        if (settings.Json)
        {
            OpsCli.WriteJson(status);
        }
        else if (state == "completed")
        {
            AnsiConsole.MarkupLine($"[green]rebuilt[/] {Markup.Escape(string.Join(", ", status.GetProperty("projections").EnumerateArray().Select(p => p.GetString())))}" +
                                   $" over {status.GetProperty("total").GetInt64():N0} events in {clock.Elapsed.TotalSeconds:F1} s " +
                                   $"({status.GetProperty("eventsPerSecond")} events/s)");
        }
        else
        {
            AnsiConsole.MarkupLine($"[red]rebuild failed:[/] {Markup.Escape(status.GetProperty("error").GetString() ?? "unknown")}");
        }
        return state == "completed" ? ExitCodes.Ok : ExitCodes.Failed;
    }
}

using System.CommandLine;
using Spectre.Console;

namespace Cdp.Ops.Status;

/// `status`: services, queues and subscriptions in one screen.
public static class StatusCommand
{
    public static Command Create()
    {
        var command = new Command("status", $"""
            Service health, queue depths and rates, consumer counts, and subscription lag, in one screen.
            Exits 0 when every service is ready and nothing is stuck, 1 otherwise (the problems are listed).

            Examples:
              ./cdp ops status
              ./cdp ops status --json | jq '.queues[] | select(.messages > 0)'
            """);
        command.SetAction(OpsCli.Action(async (_, settings, ct) =>
        {
            var report = await StatusProbes.ReadAsync(settings, ct);
            if (settings.Json) OpsCli.WriteJson(report);
            else Render(report);
            return report.Healthy ? ExitCodes.Ok : ExitCodes.Failed;
        }));
        return command;
    }

    private static void Render(StatusReport report)
    {
        var services = new Table().Title("Services").AddColumns("service", "url", "ready", "rebuild", "detail");
        foreach (var s in report.Services)
        {
            services.AddRow(s.Name, s.Url, s.Ready ? "[green]yes[/]" : "[red]no[/]", Markup.Escape(s.Rebuild ?? "-"), Markup.Escape(s.Detail ?? ""));
        }
        var queues = new Table().Title("Queues").AddColumns("queue", "messages", "ready", "unacked", "consumers", "in/s", "out/s");
        foreach (var q in report.Queues)
        {
            queues.AddRow(Markup.Escape(q.Name), q.Messages.ToString("N0"), q.Ready.ToString("N0"), q.Unacknowledged.ToString("N0"),
                q.Consumers.ToString(), q.PublishRate.ToString("N1"), q.DeliverRate.ToString("N1"));
        }
        var subscriptions = new Table().Title("Subscriptions").AddColumns("store", "subscription", "position", "head", "lag");
        foreach (var l in report.Subscriptions)
        {
            subscriptions.AddRow(l.Schema, Markup.Escape(l.Name), l.Position.ToString("N0"), l.Head.ToString("N0"),
                l.Lag == 0 ? "0" : $"[yellow]{l.Lag:N0}[/]");
        }
        AnsiConsole.Write(services);
        AnsiConsole.Write(queues);
        AnsiConsole.Write(subscriptions);
        if (report.Healthy)
        {
            AnsiConsole.MarkupLine("[green]healthy[/]");
        }
        foreach (var problem in report.Problems) AnsiConsole.MarkupLine($"[red]problem:[/] {Markup.Escape(problem)}");
    }
}

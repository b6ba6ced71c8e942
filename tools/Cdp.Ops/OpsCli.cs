using System.CommandLine;
using System.Text.Json;
using Cdp.Ops.Identity;
using Cdp.Ops.Import;
using Cdp.Ops.Rebuild;
using Cdp.Ops.Replay;
using Cdp.Ops.Status;
using Npgsql;
using RabbitMQ.Client.Exceptions;

namespace Cdp.Ops;

/// The root command, and the one place errors become exit codes.
public static class OpsCli
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand($"""
            Operator commands for Cdp.Events: status, replay, rebuild, import and identity re-resolve.
            Run from the repository as `./cdp ops COMMAND`, or as the `cdp-ops` .NET tool.
            Every command takes the connection options below; `COMMAND --help` has examples.
            {ExitCodes.Help}
            """);
        foreach (var option in OpsSettings.All) root.Options.Add(option);
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(ReplayCommand.Create());
        root.Subcommands.Add(RebuildCommand.Create());
        root.Subcommands.Add(ImportCommand.Create());
        root.Subcommands.Add(ReResolveCommand.Create());

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors) await Console.Error.WriteLineAsync($"error: {error.Message}");
            await Console.Error.WriteLineAsync("See --help.");
            return ExitCodes.Usage;
        }
        return await parsed.InvokeAsync();
    }

    /// Wraps a command's work: settings parsed, and every failure printed as one line with its exit code.
    public static Func<ParseResult, CancellationToken, Task<int>> Action(Func<ParseResult, OpsSettings, CancellationToken, Task<int>> work) =>
        async (parse, ct) =>
        {
            try
            {
                return await work(parse, OpsSettings.From(parse), ct);
            }
            catch (UsageException e)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Usage;
            }
            catch (UnreachableException e)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Unreachable;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync("interrupted");
                return ExitCodes.Interrupted;
            }
            catch (Exception e) when (e is NpgsqlException { IsTransient: true } or System.Net.Sockets.SocketException
                                          or BrokerUnreachableException or HttpRequestException { StatusCode: null })
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}. Fix: check the address (--postgres, --rabbitmq, service URLs) " +
                                                   "and that the platform is up (./cdp status).");
                return ExitCodes.Unreachable;
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or HttpRequestException or System.Text.Json.JsonException)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.Failed;
            }
        };

    public static void WriteJson(object value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, Json));
}

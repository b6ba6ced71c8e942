using System.Diagnostics;

namespace Cdp.Testing;

/// <summary>Stops and starts the local RabbitMQ node for fault tests (`./cdp test` sets CDP_TEST_RABBITMQ_CTL).</summary>
public static class BrokerControl
{
    public static async Task StopAsync() => await RunAsync("stop_app");

    public static async Task StartAsync()
    {
        await RunAsync("start_app");
        await RunAsync("await_startup");
    }

    /// <summary>
    /// Messages in each queue of <paramref name="vhost"/> (ready, unacknowledged), as the node has them: fresher than the
    /// management API's statistics, but a quorum queue still updates them only on its tick (every second with `./cdp infra`).
    /// </summary>
    public static async Task<Dictionary<string, (long Ready, long Unacknowledged)>> QueueDepthsAsync(string vhost)
    {
        var output = await RunAsync($"list_queues -p {vhost} name messages_ready messages_unacknowledged --quiet --no-table-headers");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t'))
            .Where(f => f.Length == 3)
            .ToDictionary(f => f[0], f => (long.Parse(f[1]), long.Parse(f[2])));
    }

    private static async Task<string> RunAsync(string command)
    {
        var ctl = Environment.GetEnvironmentVariable("CDP_TEST_RABBITMQ_CTL")
            ?? throw new InvalidOperationException("CDP_TEST_RABBITMQ_CTL is not set; run the fault tests with `./cdp test`, which controls the local RabbitMQ node.");
        var parts = ctl.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        using var process = Process.Start(new ProcessStartInfo(parts[0], [.. parts[1..], .. command.Split(' ')])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var errors = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{ctl} {command} failed: {await errors}");
        }
        return await output;
    }
}

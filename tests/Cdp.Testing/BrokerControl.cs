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

    private static async Task RunAsync(string command)
    {
        var ctl = Environment.GetEnvironmentVariable("CDP_TEST_RABBITMQ_CTL")
            ?? throw new InvalidOperationException("CDP_TEST_RABBITMQ_CTL is not set; run the fault tests with `./cdp test`, which controls the local RabbitMQ node.");
        var parts = ctl.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        using var process = Process.Start(new ProcessStartInfo(parts[0], [.. parts[1..], command])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{ctl} {command} failed: {await process.StandardError.ReadToEndAsync()}");
        }
    }
}

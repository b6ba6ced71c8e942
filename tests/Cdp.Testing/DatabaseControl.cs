using System.Diagnostics;

namespace Cdp.Testing;

/// <summary>Stops and starts the local PostgreSQL for fault tests (`./cdp test` sets CDP_TEST_POSTGRES_CTL).</summary>
public static class DatabaseControl
{
    public static Task StopAsync() => RunAsync("stop");

    public static Task StartAsync() => RunAsync("start");

    private static async Task RunAsync(string command)
    {
        var ctl = Environment.GetEnvironmentVariable("CDP_TEST_POSTGRES_CTL")
            ?? throw new InvalidOperationException("CDP_TEST_POSTGRES_CTL is not set; run the fault tests with `./cdp test`, which controls the local PostgreSQL.");
        var parts = ctl.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        using var process = Process.Start(new ProcessStartInfo(parts[0], [.. parts[1..], command])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{ctl} {command} failed: {await process.StandardError.ReadToEndAsync()}");
        }
    }
}

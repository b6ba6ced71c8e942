using System.Diagnostics;
using System.Text.Json;

namespace Cdp.Testing;

/// The operator CLI (tools/Cdp.Ops) run as its own process against a platform, the way an operator runs it.
public static class OpsCli
{
    public sealed record Run(int ExitCode, string Output, string Error)
    {
        public JsonElement Json => JsonDocument.Parse(Output).RootElement;

        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
    }

    public static async Task<Run> RunAsync(Platform platform, params string[] args)
    {
        var dll = Path.Combine(Platform.RepositoryRoot(), "tools", "Cdp.Ops", "bin", Platform.BuildConfiguration(), "net10.0", "cdp-ops.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"{dll} is missing; build the solution first (./cdp test does).");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetTempPath() };
        info.ArgumentList.Add(dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        var env = platform.Environment;
        info.Environment["CDP_POSTGRES"] = env.Postgres;
        info.Environment["CDP_RABBITMQ"] = env.RabbitMq.ToString();
        info.Environment["CDP_RABBITMQ_MANAGEMENT"] = env.RabbitMqManagement.ToString();
        foreach (var (service, variable) in new[]
                 {
                     ("Collector", "CDP_COLLECTOR_URL"), ("IdentityResolution", "CDP_IDENTITY_URL"),
                     ("ProfileProjection", "CDP_PROFILES_URL"), ("Activation", "CDP_ACTIVATION_URL"),
                 })
        {
            if (platform.Urls.TryGetValue(service, out var url)) info.Environment[variable] = url.ToString();
        }
        info.Environment["CDP_ADMIN_TOKEN"] = "dev-admin-token";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(30));
        await process.WaitForExitAsync(timeout.Token);
        return new Run(process.ExitCode, await output, await error);
    }
}

using System.Diagnostics;
using System.Text.Json;
using Cdp.Testing;
using Npgsql;

namespace Cdp.Ops.Tests;

/// The four services as processes on an isolated database and virtual host, shared by the operator tests
/// (which run one at a time: a rebuild holds the services' writers), and the CLI run against them.
public sealed class OpsPlatform : IAsyncLifetime
{
    public Platform Platform { get; private set; } = null!;

    public async Task InitializeAsync() => Platform = await Platform.StartAsync("ops");

    public async Task DisposeAsync() => await Platform.DisposeAsync();

    public sealed record Run(int ExitCode, string Output, string Error)
    {
        public JsonElement Json => JsonDocument.Parse(Output).RootElement;

        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
    }

    /// Runs `cdp-ops ARGS` as its own process with the platform's addresses in its environment.
    public async Task<Run> OpsAsync(params string[] args)
    {
        var dll = Path.Combine(Platform.RepositoryRoot(), "tools", "Cdp.Ops", "bin", Platform.BuildConfiguration(), "net10.0", "cdp-ops.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"{dll} is missing; build the solution first (./cdp test does).");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetTempPath() };
        info.ArgumentList.Add(dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        var env = Platform.Environment;
        info.Environment["CDP_POSTGRES"] = env.Postgres;
        info.Environment["CDP_RABBITMQ"] = env.RabbitMq.ToString();
        info.Environment["CDP_RABBITMQ_MANAGEMENT"] = env.RabbitMqManagement.ToString();
        info.Environment["CDP_COLLECTOR_URL"] = Platform.Urls["Collector"].ToString();
        info.Environment["CDP_IDENTITY_URL"] = Platform.Urls["IdentityResolution"].ToString();
        info.Environment["CDP_PROFILES_URL"] = Platform.Urls["ProfileProjection"].ToString();
        info.Environment["CDP_ACTIVATION_URL"] = Platform.Urls["Activation"].ToString();
        info.Environment["CDP_ADMIN_TOKEN"] = "dev-admin-token";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return new Run(process.ExitCode, await output, await error);
    }

    public async Task<List<(string Id, string Data)>> DocumentsAsync(string table)
    {
        await using var db = NpgsqlDataSource.Create(Platform.Environment.Postgres);
        await using var command = db.CreateCommand($"select id, data::text from {table} order by id");
        var rows = new List<(string, string)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.GetString(1)));
        return rows;
    }
}

[CollectionDefinition(Name)]
public sealed class OpsCollection : ICollectionFixture<OpsPlatform>
{
    public const string Name = "operator CLI";
}

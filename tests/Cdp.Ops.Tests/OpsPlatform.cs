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

    /// Runs `cdp-ops ARGS` as its own process with the platform's addresses in its environment.
    public Task<OpsCli.Run> OpsAsync(params string[] args) => OpsCli.RunAsync(Platform, args);

    /// Runs SQL on the platform's database: how a test damages documents that a rebuild must restore.
    public async Task<int> ExecuteAsync(string sql)
    {
        await using var db = NpgsqlDataSource.Create(Platform.Environment.Postgres);
        await using var command = db.CreateCommand(sql);
        return await command.ExecuteNonQueryAsync();
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

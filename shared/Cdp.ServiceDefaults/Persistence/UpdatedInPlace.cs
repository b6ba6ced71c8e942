using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Cdp.ServiceDefaults.Persistence;

/// <summary>
/// Documents rewritten on most events (a profile, its state) keep free room on each table page, so that PostgreSQL
/// can write the new version of a row beside the old one: a heap-only update, which adds nothing to the table's
/// indexes. At the default of full pages 40-60 % of these updates went to another page and into every index, and
/// the tables grew to twice their live size between vacuums (measured at 1,000 events/s).
/// </summary>
public sealed class UpdatedInPlace(IDocumentStore store, NpgsqlDataSource source, IEnumerable<UpdatedInPlace.Document> documents) : IHostedService
{
    /// <summary>A document type and the share of each page its table fills on insert.</summary>
    public sealed record Document(Type Type, int FillFactor);

    /// <summary>Sets each table's fill factor where it differs. Pages written before keep their rows until they are rewritten.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        foreach (var document in documents)
        {
            await store.Storage.Database.EnsureStorageExistsAsync(document.Type, ct);
            var table = store.Options.FindOrResolveDocumentType(document.Type).TableName.QualifiedName;
            var setting = $"fillfactor={document.FillFactor}";
            await using var read = source.CreateCommand("select coalesce($1 = any(reloptions), false) from pg_class where oid = $2::regclass");
            read.Parameters.Add(new NpgsqlParameter { Value = setting });
            read.Parameters.Add(new NpgsqlParameter { Value = table });
            if (await read.ExecuteScalarAsync(ct) is true) continue;
            await using var alter = source.CreateCommand($"alter table {table} set ({setting})");
            await alter.ExecuteNonQueryAsync(ct);
        }
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}

/// <summary>Registers documents for <see cref="UpdatedInPlace"/>.</summary>
public static class UpdatedInPlaceExtensions
{
    /// <summary>Fills the table of <typeparamref name="T"/> to <paramref name="fillFactor"/> percent of each page on insert.</summary>
    public static IServiceCollection AddUpdatedInPlace<T>(this IServiceCollection services, int fillFactor = 70)
    {
        services.AddSingleton(new UpdatedInPlace.Document(typeof(T), fillFactor));
        // Once however many documents are added (AddHostedService adds a type once).
        services.AddHostedService<UpdatedInPlace>();
        return services;
    }
}

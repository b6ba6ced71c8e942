using Cdp.ServiceDefaults.Health;
using JasperFx;
using JasperFx.Events;
using Marten;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Cdp.ServiceDefaults.Persistence;

/// <summary>Marten on the service's own PostgreSQL schema.</summary>
public static class MartenExtensions
{
    /// The most statements a batch may hold to get a span of its own from Npgsql (its text is a few KB at most).
    private const int TracedBatchStatements = 20;

    /// <summary>
    /// The fill factor of the tables of documents rewritten on most events (a profile, its state), set with Marten's
    /// <c>Schema.For&lt;T&gt;().FillFactor(...)</c>: the free room on each page lets PostgreSQL write the new version of a
    /// row beside the old one, a heap-only update that adds nothing to the table's indexes. At the default of full pages
    /// 40-60 % of these updates went to another page and into every index, and the tables grew to twice their live size
    /// between vacuums (measured at 1,000 events/s; docs/performance.md, eighteenth round).
    /// </summary>
    public const int RewrittenDocumentFillFactor = 70;

    /// <summary>
    /// Adds Marten on <c>ConnectionStrings:Postgres</c> in <paramref name="schema"/>, with string stream ids,
    /// event headers (the trace context travels in them), processed-message markers and their retention,
    /// the async daemon for subscriptions, and a readiness check.
    /// </summary>
    public static MartenServiceCollectionExtensions.MartenConfigurationExpression AddCdpMarten(this WebApplicationBuilder builder,
        string schema, Action<StoreOptions> configure)
    {
        var connectionString = builder.Configuration.GetConnectionString("Postgres")
            ?? throw new InvalidOperationException("ConnectionStrings:Postgres is not set. Set it (or ConnectionStrings__Postgres), e.g. Host=localhost;Port=5432;Database=cdp;Username=cdp;Password=cdp.");
        var schemaName = builder.Configuration["Cdp:Schema"] ?? schema;
        builder.Services.Configure<PersistenceOptions>(builder.Configuration.GetSection("Cdp:Persistence"));
        var persistence = builder.Configuration.GetSection("Cdp:Persistence").Get<PersistenceOptions>() ?? new PersistenceOptions();

        builder.Services.AddSingleton(_ =>
        {
            var source = new NpgsqlDataSourceBuilder(connectionString);
            // Nothing here keeps session state on a pooled connection (locks are transaction-scoped), so the
            // DISCARD ALL round trip Npgsql sends on every return to the pool (3.5 per event measured) is pure cost.
            source.ConnectionStringBuilder.NoResetOnClose = true;
            // Prepared statements let PostgreSQL reuse plans, inside Marten's append functions too: PostgreSQL 35 -> 22 %
            // of a core at 300 events/s. Plans made while a table is nearly empty scan it until autovacuum analyzes the
            // table (within its first minute of growth), after which PostgreSQL plans again with the real statistics.
            if (source.ConnectionStringBuilder.MaxAutoPrepare == 0) source.ConnectionStringBuilder.MaxAutoPrepare = 50;
            // Npgsql's span for a batch carries the text of all its statements, built as one string before the span
            // starts: for a group commit of hundreds of appends and upserts a string of a few hundred KB, on the large
            // object heap (37 of the 56 MB ProfileProjection put there in 20 s at 1,000 events/s). Marten's connection
            // span records such a batch already (TrackConnections); smaller batches keep their Npgsql span.
            source.ConfigureTracing(t => t.ConfigureBatchFilter(batch => batch.BatchCommands.Count <= TracedBatchStatements));
            return source.Build();
        });
        builder.Services.AddHealthChecks().AddCheck<PostgresHealthCheck>("postgres", tags: [HealthTags.Ready]);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddHostedService<ProcessedMessageRetention>();

        builder.Services.ConfigureMarten((services, options) =>
            options.Logger(new StatementFailureLogger(services.GetRequiredService<ILogger<IDocumentStore>>(), services.GetRequiredService<NpgsqlDataSource>())));
        return builder.Services.AddMarten(options =>
            {
                options.DatabaseSchemaName = schemaName;
                options.Events.DatabaseSchemaName = schemaName;
                options.Events.StreamIdentity = StreamIdentity.AsString;
                options.Events.MetadataConfig.HeadersEnabled = true;
                options.Events.UseListenNotifyForEventAppends = true;
                options.Projections.StaleSequenceThreshold = persistence.StaleSequenceThreshold;
                options.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
                options.Storage.ExtendedSchemaObjects.Add(ProcessedMessageTable.For(schemaName));
                options.OpenTelemetry.TrackConnections = JasperFx.OpenTelemetry.TrackLevel.Normal;
                options.OpenTelemetry.TrackEventCounters();
                configure(options);
            })
            .UseLightweightSessions()
            .UseNpgsqlDataSource()
            .ApplyAllDatabaseChangesOnStartup()
            .AddAsyncDaemon(persistence.DaemonMode);
    }
}

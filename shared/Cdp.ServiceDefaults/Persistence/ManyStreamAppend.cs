using Marten;
using Marten.Events;

namespace Cdp.ServiceDefaults.Persistence;

/// <summary>
/// Events to append to one stream, at the version it was read at (0: the stream does not exist yet), and the stream's
/// aggregate as the caller evolved it with those events (what the inline projection would have stored).
/// </summary>
public sealed record StreamAppend<TAggregate>(string StreamId, long VersionRead, IReadOnlyList<object> Events, IReadOnlyList<string?> Traces,
    TAggregate Aggregate) where TAggregate : notnull;

/// <summary>
/// Appends events to many streams of the session's Marten event store in one statement, in the session's transaction.
/// Marten appends each stream with a call of its PL/pgSQL function (a statement per event inside it): 600 streams,
/// 780 events, took 114 ms that way and 36 ms in one statement on this machine (docs/performance.md, fifteenth round).
/// It writes the rows Marten's own append writes, so Marten reads, projects and publishes these events as its own,
/// but it runs no inline projection: the caller evolves each stream's aggregate, and this stores it at the stream's new
/// version as its revision, as the inline projection leaves it.
/// </summary>
/// <remarks>
/// Optimistic concurrency as Marten's append has it: an event is written at the version after the one read, so a writer
/// that appended to the stream since collides on the events' (stream, version) key, and a writer that started the
/// stream first on the streams' key; either is a lost race (unique violation, <see cref="LostRace"/>). Streams are
/// never archived or deleted where this is used, so it does not check for either.
/// </remarks>
public static class ManyStreamAppend
{
    /// <summary>
    /// Queues the append of every stream's events, numbered after the version each was read at and stamped
    /// <paramref name="now"/>, and the upsert of every aggregate at its stream's new version (one statement,
    /// DocumentUpserts). Each stream comes once: the events of a stream go in one entry.
    /// </summary>
    public static void AppendToStreams<TAggregate>(this IDocumentSession session, IReadOnlyList<StreamAppend<TAggregate>> appends, DateTimeOffset now)
        where TAggregate : notnull
    {
        if (appends.Count == 0) return;
        var options = session.DocumentStore.Options;
        var graph = (EventGraph)options.Events;
        var schema = options.Events.DatabaseSchemaName;
        var rows = new EventRows(session, appends.Sum(a => a.Events.Count), now);
        foreach (var append in appends)
        {
            for (var n = 0; n < append.Events.Count; n++) rows.Add(append.StreamId, append.VersionRead + n + 1, append.Events[n], append.Traces[n]);
        }

        // The events are numbered from the sequence in the order given, so each stream's come in version order. The
        // streams' rows are written in the same statement; their foreign key is checked at its end.
        session.QueueSqlCommand($"""
            with appended as (
                select * from unnest(?::varchar[], ?::bigint[], ?::bigint[]) as a(id, version_read, version)
            ),
            started as (
                insert into {schema}.mt_streams (id, type, version, timestamp, tenant_id)
                select id, ?, version, now(), ? from appended where version_read = 0
            ),
            moved as (
                update {schema}.mt_streams s set version = greatest(s.version, a.version), timestamp = now()
                from appended a where s.id = a.id and a.version_read > 0
            )
            insert into {schema}.mt_events (seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived, headers)
            select nextval('{schema}.mt_events_sequence'), e.id, e.stream_id, e.version, e.data, e.type, ?, ?, e.dotnet_type, false, e.headers
            from unnest(?::uuid[], ?::varchar[], ?::bigint[], ?::jsonb[], ?::varchar[], ?::varchar[], ?::jsonb[])
                as e(id, stream_id, version, data, type, dotnet_type, headers)
            """,
            appends.Select(a => a.StreamId).ToArray(), appends.Select(a => a.VersionRead).ToArray(),
            appends.Select(a => a.VersionRead + a.Events.Count).ToArray(),
            graph.AggregateAliasFor(typeof(TAggregate)), session.TenantId,
            session.TenantId, now,
            rows.Ids, rows.StreamIds, rows.Versions, rows.Bodies, rows.Types, rows.DotnetTypes, rows.Headers);
        session.StoreAtRevisions([.. appends.Select(a => a.StreamId)], [.. appends.Select(a => a.Aggregate)],
            [.. appends.Select(a => a.VersionRead + a.Events.Count)]);
        NotifyAppended(session);
    }

    /// <summary>
    /// Queues the append of <paramref name="events"/> to one stream that many writers append to without reading it
    /// first (a log): numbered after whatever version the stream has when the statement runs, as Marten's append
    /// without an expected version does, but in one statement instead of its PL/pgSQL function's statement per event
    /// (about a third of that function's time, docs/performance.md, seventeenth round). Writers in other transactions
    /// wait on the stream's row, so two never take the same versions; the events are joined to the stream's upsert so
    /// that they take their sequence numbers only once it holds the row, in the order of their versions (numbered
    /// before the wait, a writer's events would come in the sequence before those of the writer it waited for).
    /// </summary>
    public static void AppendToLog(this IDocumentSession session, string streamId, IReadOnlyList<object> events, IReadOnlyList<string?> traces,
        DateTimeOffset now)
    {
        if (events.Count == 0) return;
        var rows = new EventRows(session, events.Count, now);
        for (var n = 0; n < events.Count; n++) rows.Add(streamId, n + 1, events[n], traces[n]);
        var schema = session.DocumentStore.Options.Events.DatabaseSchemaName;
        session.QueueSqlCommand($"""
            with stream as (
                insert into {schema}.mt_streams as s (id, version, timestamp, tenant_id)
                values (?, ?, now(), ?)
                on conflict (id) do update set version = s.version + excluded.version, timestamp = now()
                returning s.version
            )
            insert into {schema}.mt_events (seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived, headers)
            select nextval('{schema}.mt_events_sequence'), e.id, ?, stream.version - ? + e.n, e.data, e.type, ?, ?, e.dotnet_type, false, e.headers
            from stream cross join unnest(?::uuid[], ?::bigint[], ?::jsonb[], ?::varchar[], ?::varchar[], ?::jsonb[])
                as e(id, n, data, type, dotnet_type, headers)
            """,
            streamId, (long)events.Count, session.TenantId,
            streamId, (long)events.Count, session.TenantId, now,
            rows.Ids, rows.Versions, rows.Bodies, rows.Types, rows.DotnetTypes, rows.Headers);
        NotifyAppended(session);
    }

    // Marten wakes the async daemons with a notification at commit only when the session appended through Marten; without
    // it they find these events at their next poll. The channel is the database's, so every store's daemon wakes.
    private static void NotifyAppended(IDocumentSession session)
    {
        if (((EventGraph)session.DocumentStore.Options.Events).UseListenNotifyForEventAppends)
        {
            session.QueueSqlCommand($"select pg_notify('{Marten.Events.Daemon.HighWater.PostgresqlListenWakeup.DefaultChannel}', '')");
        }
    }

    /// The columns of the events' rows, as Marten's own append writes them.
    private sealed class EventRows(IDocumentSession session, int count, DateTimeOffset now)
    {
        private readonly EventGraph _graph = (EventGraph)session.DocumentStore.Options.Events;
        private readonly Marten.ISerializer _serializer = session.DocumentStore.Options.Serializer();
        private int _next;

        public Guid[] Ids { get; } = new Guid[count];
        public string[] StreamIds { get; } = new string[count];
        public long[] Versions { get; } = new long[count];
        public string[] Bodies { get; } = new string[count];
        public string[] Types { get; } = new string[count];
        public string[] DotnetTypes { get; } = new string[count];
        public string?[] Headers { get; } = new string?[count];

        public void Add(string streamId, long version, object data, string? trace)
        {
            var mapping = _graph.EventMappingFor(data.GetType());
            Ids[_next] = Guid.CreateVersion7(now);
            StreamIds[_next] = streamId;
            Versions[_next] = version;
            Bodies[_next] = _serializer.ToJson(data);
            Types[_next] = mapping.EventTypeName;
            DotnetTypes[_next] = mapping.DotNetTypeName;
            Headers[_next] = trace is null ? null : _serializer.ToJson(new Dictionary<string, object> { [EventTrace.HeaderName] = trace });
            _next++;
        }
    }
}

using Marten;

namespace Cdp.ServiceDefaults.Persistence;

/// <summary>
/// The markers that make a redelivered message a no-op: stored in the same transaction as the message's
/// effects, keyed by the incoming message id, and deleted after the retention window (ProcessedMessageRetention).
/// </summary>
public static class ProcessedMessages
{
    private static string TableOf(IQuerySession session) => ProcessedMessageTable.QualifiedIn(session.DocumentStore.Options.DatabaseSchemaName);

    // Its one parameter is wrapped by the callers: a bare string[] would be taken as the params array itself, one parameter per id.
    private static string ProcessedAmongSql(IQuerySession session) => $"select id from {TableOf(session)} where id = any(?)";

    /// <summary>Whether the message was processed before (its effects are already committed).</summary>
    public static async Task<bool> WasProcessedAsync(this IQuerySession session, string messageId, CancellationToken ct) =>
        (await session.ProcessedAmongAsync([messageId], ct)).Count > 0;

    /// <summary>The ids among <paramref name="messageIds"/> that were processed before.</summary>
    public static async Task<HashSet<string>> ProcessedAmongAsync(this IQuerySession session, IReadOnlyCollection<string> messageIds, CancellationToken ct)
    {
        if (messageIds.Count == 0) return [];
        object[] parameters = [messageIds.ToArray()];
        var found = await session.AdvancedSql.QueryAsync<string>(ProcessedAmongSql(session), ct, parameters);
        return [.. found];
    }

    /// <summary>
    /// The messages of a batch not processed before, each once (a batch may carry a redelivery twice), and the documents
    /// <paramref name="documentIds"/>, read in one round trip: in a writer's turn each round trip is one the stage waits
    /// for (about 3 ms on a busy machine, docs/performance.md, twentieth round). The documents of duplicates are read for
    /// nothing, and duplicates are rare. The rest are counted as skipped duplicates for <paramref name="consumer"/>.
    /// </summary>
    public static async Task<(List<T> Pending, IReadOnlyList<TDocument> Documents)> PendingAsync<T, TDocument>(this IQuerySession session,
        IReadOnlyList<T> batch, Func<T, string> markerOf, string consumer, string[] documentIds, CancellationToken ct) where TDocument : class
    {
        var reads = session.CreateBatchQuery();
        object[] parameters = [batch.Select(markerOf).Distinct().ToArray()];
        var processed = reads.Query<string>(ProcessedAmongSql(session), parameters);
        var documents = documentIds.Length == 0 ? Task.FromResult<IReadOnlyList<TDocument>>([]) : reads.LoadMany<TDocument>().ById(documentIds);
        await reads.Execute(ct);
        var found = (await processed).ToHashSet();
        var pending = batch.Where(m => !found.Contains(markerOf(m))).DistinctBy(markerOf).ToList();
        if (pending.Count < batch.Count)
        {
            Telemetry.CdpMetrics.DuplicatesSkipped.Add(batch.Count - pending.Count, new KeyValuePair<string, object?>("consumer", consumer));
        }
        return (pending, await documents);
    }

    /// <summary>Records one message's marker in the session's transaction (see the batch overload).</summary>
    public static void MarkProcessed(this IDocumentSession session, string messageId, DateTimeOffset now) =>
        session.MarkProcessed([messageId], now);

    /// <summary>
    /// Records the markers of a batch in the session's transaction, one statement for all of them. Insert, not
    /// upsert: two consumers racing on one message collide on the primary key and the loser's whole transaction
    /// rolls back (a lost race, run again on fresh state).
    /// </summary>
    public static void MarkProcessed(this IDocumentSession session, IReadOnlyCollection<string> messageIds, DateTimeOffset now)
    {
        if (messageIds.Count == 0) return;
        session.QueueSqlCommand($"insert into {TableOf(session)} (id, processed_at) select unnest(?), ?", messageIds.ToArray(), now);
    }

    /// <summary>Deletes, in the session's transaction, the markers recorded before <paramref name="cutoff"/>.</summary>
    public static void ForgetProcessedBefore(this IDocumentSession session, DateTimeOffset cutoff) =>
        session.QueueSqlCommand($"delete from {TableOf(session)} where processed_at < ?", cutoff);
}

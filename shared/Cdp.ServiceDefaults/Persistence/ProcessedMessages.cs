using Marten;
using Marten.Services.BatchQuerying;

namespace Cdp.ServiceDefaults.Persistence;

/// <summary>
/// The markers that make a redelivered message a no-op: stored in the same transaction as the message's
/// effects, keyed by the incoming message id, and deleted after the retention window (ProcessedMessageRetention).
/// </summary>
public static class ProcessedMessages
{
    private static string TableOf(IQuerySession session) => ProcessedMessageTable.QualifiedIn(session.DocumentStore.Options.DatabaseSchemaName);

    /// <summary>Whether the message was processed before (its effects are already committed).</summary>
    public static async Task<bool> WasProcessedAsync(this IQuerySession session, string messageId, CancellationToken ct) =>
        (await session.ProcessedAmongAsync([messageId], ct)).Count > 0;

    /// <summary>The ids among <paramref name="messageIds"/> that were processed before.</summary>
    public static async Task<HashSet<string>> ProcessedAmongAsync(this IQuerySession session, IReadOnlyCollection<string> messageIds, CancellationToken ct)
    {
        if (messageIds.Count == 0) return [];
        // Wrapped: a bare string[] would be taken as the params array itself, one parameter per id.
        object[] parameters = [messageIds.ToArray()];
        var found = await session.AdvancedSql.QueryAsync<string>($"select id from {TableOf(session)} where id = any(?)", ct, parameters);
        return [.. found];
    }

    /// <summary>The messages of a batch not processed before (<see cref="Pending"/>), checked in a round trip of its own.</summary>
    public static async Task<List<T>> PendingAsync<T>(this IQuerySession session, IReadOnlyList<T> batch, Func<T, string> markerOf,
        string consumer, CancellationToken ct) =>
        Pending(batch, markerOf, await session.ProcessedAmongAsync([.. batch.Select(markerOf).Distinct()], ct), consumer);

    /// <summary>
    /// Queues the check of which of <paramref name="batch"/>'s messages were processed before in a batched query, so
    /// that it costs no round trip of its own beside the batch's other reads; <see cref="Pending"/> takes its result.
    /// </summary>
    public static Task<IReadOnlyList<string>> ProcessedAmong<T>(this IBatchedQuery query, IQuerySession session, IReadOnlyList<T> batch,
        Func<T, string> markerOf)
    {
        object[] parameters = [batch.Select(markerOf).Distinct().ToArray()];
        return query.Query<string>($"select id from {TableOf(session)} where id = any(?)", parameters);
    }

    /// <summary>
    /// The messages of a batch not among <paramref name="processed"/>, each once (a batch may carry a redelivery
    /// twice); the rest are counted as skipped duplicates for <paramref name="consumer"/>.
    /// </summary>
    public static List<T> Pending<T>(IReadOnlyList<T> batch, Func<T, string> markerOf, IReadOnlyCollection<string> processed, string consumer)
    {
        var found = processed as ISet<string> ?? processed.ToHashSet();
        var pending = batch.Where(m => !found.Contains(markerOf(m))).DistinctBy(markerOf).ToList();
        if (pending.Count < batch.Count)
        {
            Telemetry.CdpMetrics.DuplicatesSkipped.Add(batch.Count - pending.Count, new KeyValuePair<string, object?>("consumer", consumer));
        }
        return pending;
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

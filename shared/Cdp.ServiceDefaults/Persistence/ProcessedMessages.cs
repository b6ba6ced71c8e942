using Marten;

namespace Cdp.ServiceDefaults.Persistence;

/// <summary>Checks and records processed-message markers inside a consumer's Marten session.</summary>
public static class ProcessedMessages
{
    /// <summary>Whether the message was processed before (its effects are already committed).</summary>
    public static async Task<bool> WasProcessedAsync(this IQuerySession session, string messageId, CancellationToken ct) =>
        await session.LoadAsync<ProcessedMessage>(messageId, ct) is not null;

    /// <summary>The ids among <paramref name="messageIds"/> that were processed before.</summary>
    public static async Task<HashSet<string>> ProcessedAmongAsync(this IQuerySession session, IReadOnlyCollection<string> messageIds, CancellationToken ct)
    {
        var found = await session.LoadManyAsync<ProcessedMessage>(ct, messageIds);
        return found.Select(m => m.Id).ToHashSet();
    }

    /// <summary>
    /// The messages of a batch not processed before, each once (a batch may carry a redelivery twice);
    /// the rest are counted as skipped duplicates for <paramref name="consumer"/>.
    /// </summary>
    public static async Task<List<T>> PendingAsync<T>(this IQuerySession session, IReadOnlyList<T> batch, Func<T, string> markerOf,
        string consumer, CancellationToken ct)
    {
        var processed = await session.ProcessedAmongAsync([.. batch.Select(markerOf).Distinct()], ct);
        var pending = batch.Where(m => !processed.Contains(markerOf(m))).DistinctBy(markerOf).ToList();
        if (pending.Count < batch.Count)
        {
            Telemetry.CdpMetrics.DuplicatesSkipped.Add(batch.Count - pending.Count, new KeyValuePair<string, object?>("consumer", consumer));
        }
        return pending;
    }

    /// <summary>
    /// Records the marker in the session's transaction. Insert, not upsert: two consumers racing on
    /// one message collide on the primary key and the loser's whole transaction rolls back.
    /// </summary>
    public static void MarkProcessed(this IDocumentSession session, string messageId, DateTimeOffset now) =>
        session.Insert(new ProcessedMessage(messageId, now));
}

using Cdp.Contracts.Collector;
using Marten;
using Marten.Events;

namespace Cdp.IdentityResolution.Identities.ReResolving;

/// The ingest log read for re-resolution: every collected event once, in arrival order, with the profile it is on
/// today (its latest attribution, after earlier re-resolutions, followed through merges), or null when unresolvable.
public static class IngestLog
{
    public sealed record Entry(long Sequence, EventCollected Event, string? Today);

    public static async Task<long> CountAsync(IQuerySession session, CancellationToken ct) =>
        await session.Events.QueryAllRawEvents().Where(e => e.EventTypesAre(typeof(EventAttributed), typeof(EventUnresolvable))).CountAsync(ct);

    public static async IAsyncEnumerable<Entry> ReadAsync(IQuerySession session, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var mergedInto = (await session.Query<IdentityProfile>().Where(p => p.MergedInto != null).ToListAsync(ct)).ToDictionary(p => p.Id, p => p.MergedInto!);
        string Survivor(string id)
        {
            for (var hop = 0; hop < 10 && mergedInto.TryGetValue(id, out var next); hop++) id = next;
            return id;
        }
        var moved = new Dictionary<string, string>();
        await foreach (var e in session.Events.QueryAllRawEvents().Where(e => e.EventTypesAre(typeof(EventReattributed))).OrderBy(e => e.Sequence).ToAsyncEnumerable(ct))
        {
            var r = (EventReattributed)e.Data;
            moved[Marker(r.Event)] = r.ProfileId;
        }
        var log = session.Events.QueryAllRawEvents().Where(e => e.EventTypesAre(typeof(EventAttributed), typeof(EventUnresolvable))).OrderBy(e => e.Sequence);
        await foreach (var e in log.ToAsyncEnumerable(ct))
        {
            var (collected, today) = e.Data switch
            {
                EventAttributed a => (a.Event, (string?)a.ProfileId),
                EventUnresolvable u => (u.Event, null),
                _ => default((EventCollected?, string?)),
            };
            if (collected is null) continue;
            if (moved.TryGetValue(Marker(collected), out var to)) today = to;
            yield return new Entry(e.Sequence, collected, today is null ? null : Survivor(today));
        }
    }

    private static string Marker(EventCollected e) => $"{e.SourceId}:{e.MessageId}";
}

using Cdp.ServiceDefaults.Maintenance;
using JasperFx.Events;
using Marten;
using Weasel.Core;

namespace Cdp.ProfileProjection.Profiles.Rebuilding;

/// Rebuilds every CustomerProfile stream by stream: the events are read once, in stream order, each profile
/// is folded in memory by the live projection's own Evolve and bulk-inserted once. Marten's daemon instead
/// upserts each profile once per page of events it appears in (4,400 events/s measured against 20,000+ here).
/// Memory holds one page of finished profiles, however long a history is.
public sealed class ProfileRebuild(IDocumentStore store, IReadOnlyList<ComputedTraitDefinition> computed) : IProjectionRebuild
{
    private const int InsertPage = 1000;

    public string Name => CustomerProfileProjection.ProjectionName;

    public async Task RebuildAsync(Action<long> applied, CancellationToken ct)
    {
        var projection = new CustomerProfileProjection(computed);
        await store.Advanced.Clean.DeleteDocumentsByTypeAsync(typeof(CustomerProfile), ct);
        await using var session = store.QuerySession();
        var finished = new List<CustomerProfile>(InsertPage);
        CustomerProfile? current = null;
        long count = 0;
        // Marten parks the sequence numbers of failed appends in its tombstone stream: they belong to no profile.
        var tombstones = Tombstone.StreamKey;
        var events = session.Events.QueryAllRawEvents().Where(e => e.StreamKey != tombstones).OrderBy(e => e.StreamKey).ThenBy(e => e.Version);
        await foreach (var e in events.ToAsyncEnumerable(ct))
        {
            if (current is not null && current.Id != e.StreamKey)
            {
                finished.Add(current);
                current = null;
                if (finished.Count == InsertPage) await InsertAsync(finished, ct);
            }
            current = projection.Evolve(current, e.StreamKey!, e);
            if (++count % 5000 == 0) applied(count);
        }
        if (current is not null) finished.Add(current);
        await InsertAsync(finished, ct);
        applied(count);
    }

    private async Task InsertAsync(List<CustomerProfile> profiles, CancellationToken ct)
    {
        if (profiles.Count == 0) return;
        await store.BulkInsertDocumentsAsync(profiles, BulkInsertMode.InsertsOnly, InsertPage, ct);
        profiles.Clear();
    }
}

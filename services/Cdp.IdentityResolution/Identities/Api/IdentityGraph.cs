using Cdp.Contracts;
using JasperFx.Events;
using Marten;
using Marten.Events;

namespace Cdp.IdentityResolution.Identities.Api;

/// Reads of the identity graph for the API: built from the identity streams, which hold the evidence.
public static class IdentityGraph
{
    public sealed record Link(string From, string To, string Kind, string MessageId, string SourceId, DateTimeOffset At);

    public sealed record Explanation(string A, string B, bool Connected, string? ProfileId, string? ProfileOfA, string? ProfileOfB, IReadOnlyList<Link> Links);

    public static async Task<IdentityProfile?> CanonicalAsync(IQuerySession session, string profileId, CancellationToken ct)
    {
        for (var hop = 0; hop < 10; hop++)
        {
            var profile = await session.LoadAsync<IdentityProfile>(profileId, ct);
            if (profile?.MergedInto is null) return profile;
            profileId = profile.MergedInto;
        }
        return null;
    }

    public static async Task<IdentityProfile?> CanonicalOwnerAsync(IQuerySession session, Identifier identifier, CancellationToken ct) =>
        await session.LoadAsync<IdentifierOwner>(identifier.ToString(), ct) is { } owner ? await CanonicalAsync(session, owner.ProfileId, ct) : null;

    /// Every identifier with when and by which message it was added, merges with evidence, identifiers refused by rules.
    public static async Task<object?> DescribeAsync(IQuerySession session, string id, CancellationToken ct)
    {
        var profile = await session.LoadAsync<IdentityProfile>(id, ct);
        if (profile is null) return null;
        var canonical = profile.MergedInto is null ? profile : await CanonicalAsync(session, profile.MergedInto, ct);
        var events = await EvidenceAsync(session, [id], ct);
        return new
        {
            id,
            canonicalId = canonical?.Id ?? id,
            profile.CreatedAt,
            profile.MergeCount,
            identifiers = events.OfType<IdentifierAdded>().Select(a => new { a.Type, a.Value, a.At, a.MessageId, a.SourceId, linkedTo = a.LinkedTo?.ToString() }),
            mergedFrom = events.OfType<ProfileMergedFrom>().Select(m => new { m.MergedId, m.Evidence, identifiers = m.Identifiers.Count }),
            mergedInto = events.OfType<ProfileMergedInto>().Select(m => new { m.SurvivorId, m.Evidence }).FirstOrDefault(),
            refused = events.OfType<IdentifierRefused>().Select(r => new { r.Type, r.Value, r.Rule, r.MessageId, r.At }),
        };
    }

    /// The chain of evidence between two identifiers: links added by events and by merges, found by a
    /// breadth-first search over the canonical profile and every profile merged into it.
    public static async Task<Explanation> ExplainAsync(IQuerySession session, Identifier a, Identifier b, CancellationToken ct)
    {
        var pa = await CanonicalOwnerAsync(session, a, ct);
        var pb = await CanonicalOwnerAsync(session, b, ct);
        if (pa is null || pb is null || pa.Id != pb.Id)
        {
            return new Explanation(a.ToString(), b.ToString(), false, null, pa?.Id, pb?.Id, []);
        }

        var streams = new List<string> { pa.Id };
        var events = new List<object>();
        for (var i = 0; i < streams.Count && i < 200; i++)
        {
            var found = await EvidenceAsync(session, [streams[i]], ct);
            events.AddRange(found);
            streams.AddRange(found.OfType<ProfileMergedFrom>().Select(m => m.MergedId).Where(m => !streams.Contains(m)));
        }
        var edges = new Dictionary<string, List<Link>>();
        void Edge(Link link)
        {
            (edges.TryGetValue(link.From, out var l) ? l : edges[link.From] = []).Add(link);
            (edges.TryGetValue(link.To, out var r) ? r : edges[link.To] = []).Add(link with { From = link.To, To = link.From });
        }
        foreach (var e in events)
        {
            switch (e)
            {
                case IdentifierAdded { LinkedTo: { } to } added:
                    Edge(new Link(to.ToString(), $"{added.Type}:{added.Value}", "event", added.MessageId, added.SourceId, added.At));
                    break;
                case ProfileMergedFrom m:
                    Edge(new Link(m.Evidence.SurvivorSide.ToString(), m.Evidence.MergedSide.ToString(), "merge", m.Evidence.MessageId, m.Evidence.SourceId, m.Evidence.At));
                    break;
            }
        }

        var start = a.ToString();
        var goal = b.ToString();
        var cameFrom = new Dictionary<string, Link?> { [start] = null };
        var queue = new Queue<string>([start]);
        while (queue.Count > 0 && !cameFrom.ContainsKey(goal))
        {
            var node = queue.Dequeue();
            foreach (var link in edges.GetValueOrDefault(node) ?? [])
            {
                if (cameFrom.TryAdd(link.To, link)) queue.Enqueue(link.To);
            }
        }
        var path = new List<Link>();
        for (var node = goal; cameFrom.TryGetValue(node, out var link) && link is not null; node = link.From) path.Insert(0, link);
        return new Explanation(a.ToString(), b.ToString(), start == goal || path.Count > 0, pa.Id, pa.Id, pb.Id, path);
    }

    private static async Task<List<object>> EvidenceAsync(IQuerySession session, IReadOnlyList<string> streams, CancellationToken ct)
    {
        var raw = await session.Events.QueryAllRawEvents()
            .Where(e => streams.Contains(e.StreamKey!))
            .Where(e => e.EventTypesAre(typeof(IdentifierAdded), typeof(IdentifierRefused), typeof(ProfileMergedFrom), typeof(ProfileMergedInto)))
            .OrderBy(e => e.Sequence)
            .ToListAsync(ct);
        return raw.Select(e => e.Data).ToList();
    }
}

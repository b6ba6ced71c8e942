using System.Diagnostics;
using Cdp.Contracts.Collector;
using Cdp.IdentityResolution.Identities.Extraction;
using Cdp.IdentityResolution.Identities.Resolving;
using Cdp.IdentityResolution.Identities.Rules;
using Marten;
using Marten.Events;

namespace Cdp.IdentityResolution.Identities.ReResolving;

/// Runs identity resolution again over the ingest log (every EventAttributed and EventUnresolvable, in
/// arrival order) with other rules, in memory, with the live decision code, and compares where each event
/// would land with where it is. The live graph is not touched. Each event is decided at its ReceivedAt,
/// so windowed limits behave as they did. Memory grows with identifiers and profiles, not with events.
public sealed class ReResolution(IDocumentStore store)
{
    private const string Unresolvable = "(unresolvable)";

    public async Task<long> CountAsync(CancellationToken ct)
    {
        await using var session = store.QuerySession();
        return await session.Events.QueryAllRawEvents().Where(e => e.EventTypesAre(typeof(EventAttributed), typeof(EventUnresolvable))).CountAsync(ct);
    }

    public async Task<ReResolutionDiff> DryRunAsync(IdentityOptions options, int sampleSize, Action<long> progressed, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var simulation = new Simulation(options);
        await using var session = store.QuerySession();
        var mergedInto = (await session.Query<IdentityProfile>().Where(p => p.MergedInto != null).ToListAsync(ct)).ToDictionary(p => p.Id, p => p.MergedInto!);
        string Survivor(string id)
        {
            for (var hop = 0; hop < 10 && mergedInto.TryGetValue(id, out var next); hop++) id = next;
            return id;
        }

        var counts = new Dictionary<(string Before, string After), long>();
        long events = 0;
        var log = session.Events.QueryAllRawEvents().Where(e => e.EventTypesAre(typeof(EventAttributed), typeof(EventUnresolvable))).OrderBy(e => e.Sequence);
        await foreach (var e in log.ToAsyncEnumerable(ct))
        {
            var (collected, before) = e.Data switch
            {
                EventAttributed a => (a.Event, Survivor(a.ProfileId)),
                EventUnresolvable u => (u.Event, Unresolvable),
                _ => default((EventCollected?, string?)),
            };
            if (collected is null) continue;
            var key = (before!, simulation.Resolve(collected) ?? Unresolvable);
            counts[key] = counts.GetValueOrDefault(key) + 1;
            if (++events % 5000 == 0) progressed(events);
        }
        progressed(events);

        // Profiles merged later in the simulation count as their survivor.
        var pairs = counts.GroupBy(c => (c.Key.Before, After: simulation.Survivor(c.Key.After)))
            .Select(g => (g.Key.Before, g.Key.After, Events: g.Sum(c => c.Value))).ToList();
        var byBefore = pairs.Where(p => p.Before != Unresolvable).GroupBy(p => p.Before).ToList();
        var byAfter = pairs.Where(p => p.After != Unresolvable).GroupBy(p => p.After).ToList();
        var splits = byBefore.Where(g => g.Count() > 1).OrderByDescending(g => g.Sum(p => p.Events) - g.Max(p => p.Events)).ToList();
        var joins = byAfter.Where(g => g.Count() > 1).OrderByDescending(g => g.Sum(p => p.Events)).ToList();

        var sampled = splits.Take(sampleSize).Select(g => ("split", g.ToList()))
            .Concat(joins.Take(Math.Max(0, sampleSize - Math.Min(sampleSize, splits.Count))).Select(g => ("join", g.ToList()))).ToList();
        var beforeIds = sampled.SelectMany(s => s.Item2.Select(p => p.Before)).Where(b => b != Unresolvable).Distinct().ToList();
        var beforeProfiles = beforeIds.Count == 0 ? [] : (await session.LoadManyAsync<IdentityProfile>(ct, beforeIds)).ToDictionary(p => p.Id);
        ProfilePart Today(string id, long n) =>
            new(id, n, id == Unresolvable ? [] : [.. beforeProfiles.GetValueOrDefault(id)?.Identifiers.Select(i => i.Identifier.ToString()) ?? []]);
        ProfilePart Simulated(string id, long n) => new(id, n, id == Unresolvable ? [] : simulation.IdentifiersOf(id));
        var sample = sampled.Select(s => new AffectedProfile(s.Item1,
            [.. s.Item2.GroupBy(p => p.Before).Select(g => Today(g.Key, g.Sum(p => p.Events)))],
            [.. s.Item2.GroupBy(p => p.After).Select(g => Simulated(g.Key, g.Sum(p => p.Events)))])).ToList();

        return new ReResolutionDiff(events,
            byBefore.Count, byAfter.Count,
            (int)pairs.Where(p => p.Before == Unresolvable).Sum(p => p.Events), (int)pairs.Where(p => p.After == Unresolvable).Sum(p => p.Events),
            splits.Count, joins.Count,
            byBefore.Sum(g => g.Sum(p => p.Events) - g.Max(p => p.Events)),
            sample, Math.Round(clock.Elapsed.TotalSeconds, 2));
    }

    /// The identity graph under the new rules, decided event by event exactly as EventResolution does, in memory.
    private sealed class Simulation(IdentityOptions options)
    {
        private readonly IdentifierExtractor _extractor = new(options);
        private readonly Graph _graph = Graph.Empty();
        private long _created;

        public string? Resolve(EventCollected collected)
        {
            var now = collected.ReceivedAt;
            var candidates = _graph.ResolveAliasPrevious(_extractor.Extract(collected).Identifiers);
            if (candidates.Count == 0) return null;
            // Ids that sort in creation order, as the live ones (UUIDv7) do, so "merge into the oldest" picks the same.
            var decision = IdentityDecision.Decide(collected.Type, candidates, _graph.OwnersOf(candidates), options, now, $"new-{++_created:D10}");
            if (decision.IsNewProfile) _graph.Profiles[decision.ProfileId] = new IdentityProfile { Id = decision.ProfileId, CreatedAt = now };
            var survivor = _graph.Profiles[decision.ProfileId];
            foreach (var identifier in decision.Added)
            {
                _graph.Claim(identifier.ToString(), survivor);
                survivor.Record(new IdentifierAdded(survivor.Id, identifier.Type, identifier.Value, collected.MessageId, null, collected.SourceId, now));
            }
            foreach (var merge in decision.Merges)
            {
                var evidence = new MergeEvidence(merge.SurvivorSide, merge.MergedSide, collected.MessageId, collected.SourceId, now);
                survivor.Record(new ProfileMergedFrom(survivor.Id, merge.Merged.Id, evidence, [.. merge.Merged.Identifiers], merge.Merged.MergeCount, now));
                merge.Merged.Record(new ProfileMergedInto(merge.Merged.Id, survivor.Id, evidence, now));
                foreach (var held in merge.Merged.Identifiers) _graph.Claim(held.Identifier.ToString(), survivor);
            }
            return decision.ProfileId;
        }

        public string Survivor(string id) => id == Unresolvable ? id : _graph.CanonicalOf(id)?.Id ?? id;

        public IReadOnlyList<string> IdentifiersOf(string id) =>
            [.. _graph.Profiles.GetValueOrDefault(id)?.Identifiers.Select(i => i.Identifier.ToString()) ?? []];
    }
}

using System.Diagnostics;
using Cdp.IdentityResolution.Identities.Rules;
using Cdp.ServiceDefaults.Maintenance;
using Marten;
using Npgsql;

namespace Cdp.IdentityResolution.Identities.ReResolving;

/// Runs identity resolution again over the ingest log (IngestLog) with other rules, in memory, with the live
/// decision code (SimulatedGraph), each event decided at its ReceivedAt so windowed limits behave as they did,
/// and compares where each event would land with where it is.
/// A dry run changes nothing. Applying switches the graph in one transaction while resolution is held:
/// every profile whose events the rules regroup (split, or joined with others) is superseded by new profiles
/// built from its events, which are re-attributed (published again as EventResolved with a Reassignment, so
/// ProfileProjection records them on the new profiles and Activation moves memberships as usual); profiles the
/// rules leave whole keep their ids; identifier owners and the rules in force are replaced.
/// Memory grows with identifiers and profiles; applying also keeps one entry per event of the log.
public sealed class ReResolution(IDocumentStore store, NpgsqlDataSource database, MaintenancePause pause, IdentityRulesInForce rulesInForce,
    TimeProvider clock, ILogger<ReResolution> logger)
{
    private const string Unresolvable = "(unresolvable)";

    private sealed record Plan(SimulatedGraph Graph, List<(string Before, string After, long Events)> Pairs, Dictionary<long, string>? Landed, long Events);

    public async Task<long> CountAsync(CancellationToken ct)
    {
        await using var session = store.QuerySession();
        return await IngestLog.CountAsync(session, ct);
    }

    public async Task<ReResolutionDiff> DryRunAsync(IdentityOptions options, int sampleSize, Action<long> progressed, CancellationToken ct)
    {
        var clockwatch = Stopwatch.StartNew();
        // Resolution goes on during a dry run: one snapshot for the merge map, the re-attributions, the log and the
        // profiles shown, or a merge committed between those reads would show as a split that is not there.
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var snapshot = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        await using var session = store.QuerySession(Marten.Services.SessionOptions.ForTransaction(snapshot));
        var plan = await PlanAsync(session, options, keepLanding: false, progressed, ct);
        return await DiffAsync(session, plan, sampleSize, clockwatch, ct);
    }

    public async Task<ReResolutionApplied> ApplyAsync(IdentityOptions options, string rulesJson, int sampleSize, Action<long> progressed, CancellationToken ct)
    {
        var clockwatch = Stopwatch.StartNew();
        var runId = $"re-resolve-{clock.GetUtcNow():yyyyMMddHHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
        await pause.PauseAsync($"applying identity rules ({runId})", TimeSpan.FromMinutes(2), ct);
        try
        {
            await using var session = store.LightweightSession();
            var plan = await PlanAsync(session, options, keepLanding: true, progressed, ct);
            var diff = await DiffAsync(session, plan, sampleSize, clockwatch, ct);
            var now = clock.GetUtcNow();

            var beforeParts = plan.Pairs.Where(p => p.Before != Unresolvable).GroupBy(p => p.Before).ToDictionary(g => g.Key, g => g.ToList());
            var afterParts = plan.Pairs.Where(p => p.After != Unresolvable).GroupBy(p => p.After).ToDictionary(g => g.Key, g => g.ToList());
            // A profile is regrouped when its events go to several profiles, or share one with other profiles' or unresolvable events.
            // One whose events all become unresolvable is left as it is: there is nothing to move them to.
            var regrouped = beforeParts.Where(b => b.Value.Any(p => p.After != Unresolvable)
                                                   && (b.Value.Count > 1 || afterParts[b.Value[0].After].Count > 1)).Select(b => b.Key).ToHashSet();
            var idOf = afterParts.ToDictionary(a => a.Key, a =>
                a.Value.Count == 1 && a.Value[0].Before != Unresolvable && !regrouped.Contains(a.Value[0].Before) ? a.Value[0].Before : ProfileIds.New());

            var streams = new Dictionary<string, (bool IsNew, List<object> Events)>();
            List<object> StreamOf(string id, bool isNew) => (streams.TryGetValue(id, out var s) ? s : streams[id] = (isNew, [])).Events;
            var today = (await session.LoadManyAsync<IdentityProfile>(ct, [.. idOf.Values.Intersect(beforeParts.Keys)])).ToDictionary(p => p.Id);
            var created = 0;
            foreach (var (after, id) in idOf)
            {
                var simulated = plan.Graph.Profile(after)!;
                if (!today.TryGetValue(id, out var kept))
                {
                    StreamOf(id, true).AddRange([new ProfileCreated(id, runId, simulated.CreatedAt), new IdentifiersReplaced(id, [.. simulated.Identifiers], runId, now)]);
                    created++;
                }
                else if (!kept.Identifiers.Select(i => i.Identifier).ToHashSet().SetEquals(simulated.Identifiers.Select(i => i.Identifier)))
                {
                    StreamOf(id, false).Add(new IdentifiersReplaced(id, [.. simulated.Identifiers], runId, now));
                }
            }
            foreach (var before in regrouped)
            {
                var main = beforeParts[before].Where(p => p.After != Unresolvable).MaxBy(p => p.Events).After;
                StreamOf(before, false).Add(new ProfileSuperseded(before, idOf[main], runId, now));
            }

            long reattributed = 0;
            await foreach (var entry in IngestLog.ReadAsync(session, ct))
            {
                if (entry.Today is { } from && !regrouped.Contains(from)) continue;
                if (!plan.Landed!.TryGetValue(entry.Sequence, out var landed)) continue;
                var after = plan.Graph.Survivor(landed);
                var (held, dropped) = plan.Graph.Attribution(entry.Event, plan.Graph.Profile(after)!);
                StreamOf(idOf[after], !today.ContainsKey(idOf[after])).Add(new EventReattributed(idOf[after], entry.Event, held, dropped, runId, now));
                reattributed++;
            }
            foreach (var (id, (isNew, events)) in streams)
            {
                if (isNew) session.Events.StartStream<IdentityProfile>(id, events);
                else session.Events.Append(id, events);
            }

            session.DeleteWhere<IdentifierOwner>(o => true);
            foreach (var (after, id) in idOf)
            {
                foreach (var held in plan.Graph.Profile(after)!.Identifiers) session.Store(new IdentifierOwner(held.Identifier.ToString(), id));
            }
            session.Store(new AppliedIdentityRules(AppliedIdentityRules.CurrentId, rulesJson, runId, now));
            await session.SaveChangesAsync(ct);
            rulesInForce.Replace(options);
            logger.LogWarning("Applied identity rules {RunId}: {Superseded} profiles superseded, {Created} created, {Events} events re-attributed",
                runId, regrouped.Count, created, reattributed);
            return new ReResolutionApplied(runId, regrouped.Count, created, reattributed, diff with { Seconds = Math.Round(clockwatch.Elapsed.TotalSeconds, 2) });
        }
        finally
        {
            pause.Resume();
        }
    }

    private static async Task<Plan> PlanAsync(IQuerySession session, IdentityOptions options, bool keepLanding, Action<long> progressed, CancellationToken ct)
    {
        var graph = new SimulatedGraph(options);
        var counts = new Dictionary<(string Before, string After), long>();
        var landed = keepLanding ? new Dictionary<long, string>() : null;
        long events = 0;
        await foreach (var entry in IngestLog.ReadAsync(session, ct))
        {
            var at = graph.Resolve(entry.Event);
            if (landed is not null && at is not null) landed[entry.Sequence] = at;
            var key = (entry.Today ?? Unresolvable, at ?? Unresolvable);
            counts[key] = counts.GetValueOrDefault(key) + 1;
            if (++events % 5000 == 0) progressed(events);
        }
        progressed(events);
        // Profiles merged later in the simulation count as their survivor.
        var pairs = counts.GroupBy(c => (c.Key.Before, After: c.Key.After == Unresolvable ? Unresolvable : graph.Survivor(c.Key.After)))
            .Select(g => (g.Key.Before, g.Key.After, Events: g.Sum(c => c.Value))).ToList();
        return new Plan(graph, pairs, landed, events);
    }

    private static async Task<ReResolutionDiff> DiffAsync(IQuerySession session, Plan plan, int sampleSize, Stopwatch clockwatch, CancellationToken ct)
    {
        var pairs = plan.Pairs;
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
        ProfilePart Simulated(string id, long n) =>
            new(id, n, id == Unresolvable ? [] : [.. plan.Graph.Profile(id)?.Identifiers.Select(i => i.Identifier.ToString()) ?? []]);
        var sample = sampled.Select(s => new AffectedProfile(s.Item1,
            [.. s.Item2.GroupBy(p => p.Before).Select(g => Today(g.Key, g.Sum(p => p.Events)))],
            [.. s.Item2.GroupBy(p => p.After).Select(g => Simulated(g.Key, g.Sum(p => p.Events)))])).ToList();

        return new ReResolutionDiff(plan.Events,
            byBefore.Count, byAfter.Count,
            (int)pairs.Where(p => p.Before == Unresolvable).Sum(p => p.Events), (int)pairs.Where(p => p.After == Unresolvable).Sum(p => p.Events),
            splits.Count, joins.Count,
            byBefore.Sum(g => g.Sum(p => p.Events) - g.Max(p => p.Events)),
            sample, Math.Round(clockwatch.Elapsed.TotalSeconds, 2));
    }
}

using System.Diagnostics;
using Cdp.Contracts;
using Cdp.Contracts.Collector;
using Cdp.Contracts.Identity;
using Cdp.IdentityResolution.Identities.Extraction;
using Cdp.IdentityResolution.Identities.Rules;
using Cdp.ServiceDefaults.Persistence;
using Cdp.ServiceDefaults.Telemetry;
using JasperFx;
using Marten;
using Polly;

namespace Cdp.IdentityResolution.Identities.Resolving;

/// Resolves one collected event: load the graph around its identifiers, decide, append the identity
/// events, the ingest-log entry and the processed-message marker in one transaction. Two events
/// racing on the same identifiers or profiles collide on the (type, value) primary key or on a
/// stream version; the loser runs again with fresh state, so a race never duplicates.
///
/// The ingest-log entries (EventAttributed) of a batch go to one stream per day, not to the profiles' streams:
/// a returning customer's event changes nothing in the graph, and appending it to the profile's stream cost a
/// stream append and a projected-document upsert per event (the largest PostgreSQL cost in the pipeline,
/// measured). An attribution to a profile that another process merges away at the same moment is still right:
/// downstream follows the merge pointer.
public sealed class EventResolution(IDocumentStore store, IdentityRulesInForce rules, TimeProvider clock, ILogger<EventResolution> logger)
{
    private static readonly System.Diagnostics.Metrics.Meter Meter = new(CdpMetrics.MeterName + ".Identity");

    public static readonly System.Diagnostics.Metrics.Counter<long> Unresolvable = Meter.CreateCounter<long>("cdp.identity.unresolvable");

    /// Resolutions run again because another writer changed the same identifiers or profiles first.
    public static readonly System.Diagnostics.Metrics.Counter<long> LostRaces = Meter.CreateCounter<long>("cdp.identity.lost_races");

    private static readonly ResiliencePipeline RaceRetry = LostRace.RetryPipeline(() => LostRaces.Add(1));


    public Task ResolveAsync(EventCollected collected, CancellationToken ct) =>
        ResolveBatchAsync([new Collected(collected, System.Diagnostics.Activity.Current?.Id)], ct);

    /// One collected event and the trace it travelled in.
    public sealed record Collected(EventCollected Event, string? TraceParent);

    /// Resolves a batch in arrival order with one read of the graph and one transaction: each decision
    /// sees the ones before it in memory. Existing streams are appended at the version that was read,
    /// so a concurrent writer anywhere makes the whole batch run again on fresh state.
    public Task ResolveBatchAsync(IReadOnlyList<Collected> batch, CancellationToken ct) =>
        RaceRetry.ExecuteAsync(async token => await ResolveBatchOnceAsync(batch, token), ct).AsTask();

    // Message ids are unique per source: two sources may reuse one without being duplicates.
    private static string MarkerOf(EventCollected e) => $"{e.SourceId}:{e.MessageId}";

    /// The ingest log's stream for a day: every attribution of that day, in arrival order.
    public static string IngestLogStream(DateTimeOffset day) => $"ingest-{day:yyyy-MM-dd}";

    private sealed record PendingStream(long ReadVersion, List<(object Event, string? Trace)> Events);

    private async Task ResolveBatchOnceAsync(IReadOnlyList<Collected> batch, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        var (options, extractor) = await rules.CurrentAsync(ct);
        var extracted = batch.Select(c => (c, ids: extractor.Extract(c.Event))).ToList();
        var (pending, owners) = await session.PendingAsync<Collected, IdentifierOwner>(batch, c => MarkerOf(c.Event), "identity",
            Graph.OwnerKeysOf(extracted.SelectMany(x => x.ids.Identifiers)), ct);
        if (pending.Count == 0) return;
        var kept = pending.ToHashSet(ReferenceEqualityComparer.Instance);
        extracted = [.. extracted.Where(x => kept.Contains(x.c))];
        var now = clock.GetUtcNow();

        // Counted once the transaction commits, so a retried batch does not count twice.
        var unresolvable = new List<string>();
        var graph = await Graph.FromOwnersAsync(session, owners, ct);
        var streams = new Dictionary<string, PendingStream>();
        var attributions = new List<(object Event, string? Trace)>();
        PendingStream StreamOf(string id) =>
            streams.TryGetValue(id, out var s) ? s : streams[id] = new PendingStream(graph.Profiles[id].Version, []);

        session.MarkProcessed([.. pending.Select(c => MarkerOf(c.Event))], now);
        foreach (var (item, (found, blocked)) in extracted)
        {
            var collected = item.Event;
            var candidates = graph.ResolveAliasPrevious(found);
            if (candidates.Count == 0)
            {
                var action = session.Events.Append($"unresolvable-{now:yyyy-MM-dd}", new EventUnresolvable(collected.MessageId, collected, blocked, now));
                if (item.TraceParent is not null) action.Events[^1].SetHeader(EventTrace.HeaderName, item.TraceParent);
                unresolvable.Add(collected.SourceId);
                continue;
            }

            var decision = IdentityDecision.Decide(collected.Type, candidates, graph.OwnersOf(candidates), options, now, ProfileIds.New());
            if (decision.IsNewProfile)
            {
                graph.Profiles[decision.ProfileId] = new IdentityProfile { Id = decision.ProfileId, CreatedAt = now };
                streams[decision.ProfileId] = new PendingStream(0, []);
            }
            void Emit(object e) => StreamOf(decision.ProfileId).Events.Add((e, item.TraceParent));
            var survivor = graph.Profiles[decision.ProfileId];
            var strongest = decision.Used[0];

            if (decision.IsNewProfile) Emit(new ProfileCreated(decision.ProfileId, collected.MessageId, now));
            foreach (var identifier in decision.Added)
            {
                var linkedTo = identifier == strongest && decision.IsNewProfile ? null : decision.Used.FirstOrDefault(u => u != identifier);
                Emit(new IdentifierAdded(decision.ProfileId, identifier.Type, identifier.Value, collected.MessageId, linkedTo, collected.SourceId, now));
                session.Insert(new IdentifierOwner(identifier.ToString(), decision.ProfileId));
                graph.Claim(identifier.ToString(), survivor);
                survivor.Record(new IdentifierAdded(decision.ProfileId, identifier.Type, identifier.Value, collected.MessageId, linkedTo, collected.SourceId, now));
            }
            foreach (var merge in decision.Merges)
            {
                var evidence = new MergeEvidence(merge.SurvivorSide, merge.MergedSide, collected.MessageId, collected.SourceId, now);
                var mergedFrom = new ProfileMergedFrom(decision.ProfileId, merge.Merged.Id, evidence, [.. merge.Merged.Identifiers], merge.Merged.MergeCount, now);
                Emit(mergedFrom);
                survivor.Record(mergedFrom);
                var mergedInto = new ProfileMergedInto(merge.Merged.Id, decision.ProfileId, evidence, now);
                StreamOf(merge.Merged.Id).Events.Add((mergedInto, item.TraceParent));
                merge.Merged.Record(mergedInto);
                foreach (var held in merge.Merged.Identifiers)
                {
                    session.Store(new IdentifierOwner(held.Identifier.ToString(), decision.ProfileId));
                    graph.Claim(held.Identifier.ToString(), survivor);
                }
                logger.LogInformation("Merging profile {Merged} into {Survivor}: message {MessageId} carried {SurvivorSide} and {MergedSide}",
                    merge.Merged.Id, decision.ProfileId, collected.MessageId, merge.SurvivorSide, merge.MergedSide);
            }
            foreach (var d in decision.Dropped)
            {
                Emit(new IdentifierRefused(decision.ProfileId, d.Type, d.Value, collected.MessageId, d.Rule, now));
            }
            attributions.Add((new EventAttributed(decision.ProfileId, collected, decision.Used, [.. blocked, .. decision.Dropped], now), item.TraceParent));
        }

        // The profiles' streams in one statement (ManyStreamAppend), which runs no inline projection: each profile in the
        // graph has recorded its events as they were decided, as the projection would, and is stored at its stream's new version.
        var appends = new List<StreamAppend<IdentityProfile>>(streams.Count);
        foreach (var (id, stream) in streams)
        {
            var profile = graph.Profiles[id];
            profile.Version = stream.ReadVersion + stream.Events.Count;
            appends.Add(new(id, stream.ReadVersion, [.. stream.Events.Select(e => e.Event)], [.. stream.Events.Select(e => e.Trace)], profile));
        }
        session.AppendToStreams<IdentityProfile>(appends, clock.GetUtcNow());
        session.AppendToLog(IngestLogStream(now), [.. attributions.Select(a => a.Event)], [.. attributions.Select(a => a.Trace)], clock.GetUtcNow());
        await session.SaveChangesAsync(ct);
        foreach (var source in unresolvable) Unresolvable.Add(1, new TagList { { "source", source } });
    }
}

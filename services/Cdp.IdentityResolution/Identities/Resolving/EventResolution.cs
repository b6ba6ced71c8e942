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
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace Cdp.IdentityResolution.Identities.Resolving;

/// Resolves one collected event: load the graph around its identifiers, decide, append the identity
/// events, the ingest-log entry and the processed-message marker in one transaction. Two events
/// racing on the same identifiers or profiles collide on the (type, value) primary key or on a
/// stream version; the loser runs again with fresh state, so a race never duplicates.
public sealed class EventResolution(IDocumentStore store, IOptions<IdentityOptions> options, IdentifierExtractor extractor,
    TimeProvider clock, ILogger<EventResolution> logger)
{
    private static readonly System.Diagnostics.Metrics.Meter Meter = new(CdpMetrics.MeterName + ".Identity");

    public static readonly System.Diagnostics.Metrics.Counter<long> Unresolvable = Meter.CreateCounter<long>("cdp.identity.unresolvable");

    /// Resolutions run again because another writer changed the same identifiers or profiles first.
    public static readonly System.Diagnostics.Metrics.Counter<long> LostRaces = Meter.CreateCounter<long>("cdp.identity.lost_races");

    private static readonly ResiliencePipeline RaceRetry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = 20,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(20),
            MaxDelay = TimeSpan.FromSeconds(1),
            ShouldHandle = new PredicateBuilder().Handle<Exception>(IsLostRace),
            OnRetry = a =>
            {
                LostRaces.Add(1);
                return ValueTask.CompletedTask;
            },
        })
        .Build();



    /// Another writer got there first: a stream moved on, or an identifier or marker now exists.
    private static bool IsLostRace(Exception e) => e switch
    {
        ConcurrencyException or DocumentAlreadyExistsException => true,
        Marten.Exceptions.MartenCommandException { InnerException: Npgsql.PostgresException { SqlState: "23505" } } => true,
        AggregateException a => a.InnerExceptions.All(IsLostRace),
        _ => false,
    };

    public Task ResolveAsync(EventCollected collected, CancellationToken ct) =>
        RaceRetry.ExecuteAsync(async token => await ResolveOnceAsync(collected, token), ct).AsTask();

    private async Task ResolveOnceAsync(EventCollected collected, CancellationToken ct)
    {
        await using var session = store.LightweightSession();
        // Message ids are unique per source: two sources may reuse one without being duplicates.
        var marker = $"{collected.SourceId}:{collected.MessageId}";
        if (await session.WasProcessedAsync(marker, ct))
        {
            CdpMetrics.DuplicatesSkipped.Add(1, new KeyValuePair<string, object?>("consumer", "identity"));
            return;
        }
        var now = clock.GetUtcNow();
        session.StampTrace();
        session.MarkProcessed(marker, now);

        var (candidates, blocked) = extractor.Extract(collected);
        candidates = await ResolveAliasPreviousAsync(session, candidates, ct);
        if (candidates.Count == 0)
        {
            session.Events.Append($"unresolvable-{now:yyyy-MM-dd}", new EventUnresolvable(collected.MessageId, collected, blocked, now));
            await session.SaveChangesAsync(ct);
            Unresolvable.Add(1, new TagList { { "source", collected.SourceId } });
            return;
        }

        var owners = await OwnersAsync(session, candidates, ct);
        var decision = IdentityDecision.Decide(collected.Type, candidates, owners, options.Value, now, ProfileIds.New());
        var dropped = blocked.Concat(decision.Dropped).ToList();
        var strongest = decision.Used[0];

        var events = new List<object>();
        if (decision.IsNewProfile) events.Add(new ProfileCreated(decision.ProfileId, collected.MessageId, now));
        foreach (var identifier in decision.Added)
        {
            var linkedTo = identifier == strongest && decision.IsNewProfile ? null : decision.Used.FirstOrDefault(u => u != identifier);
            events.Add(new IdentifierAdded(decision.ProfileId, identifier.Type, identifier.Value, collected.MessageId, linkedTo, collected.SourceId, now));
            session.Insert(new IdentifierOwner(identifier.ToString(), decision.ProfileId));
        }
        foreach (var merge in decision.Merges)
        {
            var evidence = new MergeEvidence(merge.SurvivorSide, merge.MergedSide, collected.MessageId, collected.SourceId, now);
            events.Add(new ProfileMergedFrom(decision.ProfileId, merge.Merged.Id, evidence, merge.Merged.Identifiers, merge.Merged.MergeCount, now));
            var mergedStream = await session.Events.FetchForWriting<IdentityProfile>(merge.Merged.Id, ct);
            mergedStream.AppendOne(new ProfileMergedInto(merge.Merged.Id, decision.ProfileId, evidence, now));
            foreach (var held in merge.Merged.Identifiers)
            {
                session.Store(new IdentifierOwner(held.Identifier.ToString(), decision.ProfileId));
            }
            logger.LogInformation("Merging profile {Merged} into {Survivor}: message {MessageId} carried {SurvivorSide} and {MergedSide}",
                merge.Merged.Id, decision.ProfileId, collected.MessageId, merge.SurvivorSide, merge.MergedSide);
        }
        foreach (var d in decision.Dropped)
        {
            events.Add(new IdentifierRefused(decision.ProfileId, d.Type, d.Value, collected.MessageId, d.Rule, now));
        }
        events.Add(new EventAttributed(decision.ProfileId, collected, decision.Used, dropped, now));

        if (decision.IsNewProfile)
        {
            session.Events.StartStream<IdentityProfile>(decision.ProfileId, events);
        }
        else
        {
            var stream = await session.Events.FetchForWriting<IdentityProfile>(decision.ProfileId, ct);
            if (stream.Aggregate?.MergedInto is not null)
            {
                throw new ConcurrencyException($"Profile {decision.ProfileId} was merged meanwhile", typeof(IdentityProfile), decision.ProfileId);
            }
            stream.AppendMany(events);
        }
        await session.SaveChangesAsync(ct);
    }

    /// The canonical profile holding each candidate, following merge pointers.
    private static async Task<Dictionary<string, IdentityProfile>> OwnersAsync(IDocumentSession session, IReadOnlyList<Identifier> candidates, CancellationToken ct)
    {
        var owners = await session.LoadManyAsync<IdentifierOwner>(ct, candidates.Select(c => c.ToString()));
        var profiles = new Dictionary<string, IdentityProfile>();
        var pending = owners.Select(o => o.ProfileId).Distinct().ToList();
        for (var hop = 0; pending.Count > 0 && hop < 10; hop++)
        {
            foreach (var p in await session.LoadManyAsync<IdentityProfile>(ct, pending)) profiles[p.Id] = p;
            pending = profiles.Values.Where(p => p.MergedInto is { } next && !profiles.ContainsKey(next)).Select(p => p.MergedInto!).Distinct().ToList();
        }
        IdentityProfile? Canonical(string id)
        {
            for (var hop = 0; hop < 10 && profiles.TryGetValue(id, out var p); hop++)
            {
                if (p.MergedInto is null) return p;
                id = p.MergedInto;
            }
            return null;
        }
        return owners.Select(o => (o.Id, Profile: Canonical(o.ProfileId))).Where(x => x.Profile is not null).ToDictionary(x => x.Id, x => x.Profile!);
    }

    /// An alias's previousId is whatever the person was known by: a user id if one holds it, else an anonymous id.
    private static async Task<List<Identifier>> ResolveAliasPreviousAsync(IDocumentSession session, List<Identifier> candidates, CancellationToken ct)
    {
        var index = candidates.FindIndex(c => c.Type == IdentifierExtractor.AliasPrevious);
        if (index < 0) return candidates;
        var value = candidates[index].Value;
        var asUser = await session.LoadAsync<IdentifierOwner>(IdentifierOwner.KeyOf("user_id", value), ct);
        var resolved = new Identifier(asUser is null ? "anonymous_id" : "user_id", value);
        var result = candidates.ToList();
        result[index] = resolved;
        return [.. result.Distinct()];
    }
}

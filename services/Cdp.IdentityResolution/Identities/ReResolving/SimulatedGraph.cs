using Cdp.Contracts.Collector;
using Cdp.IdentityResolution.Identities.Extraction;
using Cdp.IdentityResolution.Identities.Resolving;
using Cdp.IdentityResolution.Identities.Rules;

namespace Cdp.IdentityResolution.Identities.ReResolving;

/// The identity graph under other rules, decided event by event exactly as EventResolution does, in memory.
/// Profiles get ids "new-0000000001"... that sort in creation order, as the live UUIDv7 ids do, so
/// "merge into the oldest" picks the same profile.
public sealed class SimulatedGraph(IdentityOptions options)
{
    private readonly IdentifierExtractor _extractor = new(options);
    private readonly Graph _graph = Graph.Empty();
    private long _created;

    /// The simulated profile the event lands on when it arrives, or null when it has no usable identifier.
    public string? Resolve(EventCollected collected)
    {
        var now = collected.ReceivedAt;
        var candidates = _graph.ResolveAliasPrevious(_extractor.Extract(collected).Identifiers);
        if (candidates.Count == 0) return null;
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

    /// Where a simulated profile lives on after the merges that came later.
    public string Survivor(string id) => _graph.CanonicalOf(id)?.Id ?? id;

    public IdentityProfile? Profile(string id) => _graph.Profiles.GetValueOrDefault(id);

    /// The identifiers of the event that its final profile holds, and the others with why they are not on it.
    public (List<Contracts.Identifier> Held, List<Contracts.Identity.DroppedIdentifier> Dropped) Attribution(EventCollected collected, IdentityProfile profile)
    {
        var (found, blocked) = _extractor.Extract(collected);
        var candidates = _graph.ResolveAliasPrevious(found);
        var held = candidates.Where(profile.Holds).ToList();
        return (held, [.. blocked, .. candidates.Where(c => !profile.Holds(c)).Select(c => new Contracts.Identity.DroppedIdentifier(c.Type, c.Value, "re-resolved"))]);
    }
}

using Cdp.Contracts;
using Cdp.Contracts.Identity;
using Cdp.IdentityResolution.Identities.Rules;

namespace Cdp.IdentityResolution.Identities.Resolving;

/// Merge Merged into the decision's profile, on the strength of SurvivorSide and MergedSide both being on the event.
public sealed record MergePlan(IdentityProfile Merged, Identifier SurvivorSide, Identifier MergedSide);

/// Where an event goes and what that changes in the graph.
/// <param name="Used">The event's identifiers the profile holds after the decision.</param>
/// <param name="Added">Identifiers new to the graph, now on the profile.</param>
/// <param name="Dropped">Identifiers of the event that a rule kept off, with the rule.</param>
public sealed record IdentityDecision(string ProfileId, bool IsNewProfile, IReadOnlyList<Identifier> Used, IReadOnlyList<Identifier> Added,
    IReadOnlyList<MergePlan> Merges, IReadOnlyList<DroppedIdentifier> Dropped)
{
    /// The identity algorithm, pure. Candidates are the event's identifiers, strongest first, blocked values
    /// already removed. Owners maps "type:value" to the (canonical) profile holding it.
    /// 1. No owner: a new profile. One: it gains the new identifiers. Several: they merge into the oldest.
    /// 2. When that would give a profile more values of a type than its limit, or pass a cap, the event's
    ///    weakest identifier is dropped and the decision is made again; the event still lands on the
    ///    profile of its strongest identifier.
    /// 3. Group calls never merge people.
    public static IdentityDecision Decide(string eventType, IReadOnlyList<Identifier> candidates, IReadOnlyDictionary<string, IdentityProfile> owners,
        IdentityOptions options, DateTimeOffset now, string newProfileId)
    {
        var kept = candidates.ToList();
        var dropped = new List<DroppedIdentifier>();
        void Drop(Identifier i, string rule)
        {
            kept.Remove(i);
            dropped.Add(new DroppedIdentifier(i.Type, i.Value, rule));
        }

        while (true)
        {
            var profiles = kept.Select(i => owners.GetValueOrDefault(i.ToString())).OfType<IdentityProfile>()
                .DistinctBy(p => p.Id).OrderBy(p => p.CreatedAt).ThenBy(p => p.Id, StringComparer.Ordinal).ToList();
            var unowned = kept.Where(i => !owners.ContainsKey(i.ToString())).ToList();

            if (profiles.Count > 1 && eventType == "group")
            {
                // Keep the strongest identifier's profile; the others' identifiers are not linked by a group call.
                var target = owners[kept.First(i => owners.ContainsKey(i.ToString())).ToString()];
                foreach (var i in kept.Where(i => owners.TryGetValue(i.ToString(), out var p) && p.Id != target.Id).ToList()) Drop(i, "group-does-not-merge");
                continue;
            }

            var survivor = profiles.FirstOrDefault();
            var merged = profiles.Skip(1).ToList();
            if (merged.Count > 0 && survivor!.MergeCount + merged.Sum(m => m.MergeCount + 1) > options.MaxMerges)
            {
                var target = owners[kept.First(i => owners.ContainsKey(i.ToString())).ToString()];
                foreach (var i in kept.Where(i => owners.TryGetValue(i.ToString(), out var p) && p.Id != target.Id).ToList())
                {
                    Drop(i, $"cap:merges={options.MaxMerges}");
                }
                continue;
            }

            var before = survivor?.Identifiers ?? [];
            var after = before.Concat(merged.SelectMany(m => m.Identifiers)).Select(h => (h.Type, h.Value, h.AddedAt))
                .Concat(unowned.Select(i => (i.Type, i.Value, AddedAt: now)))
                .DistinctBy(h => (h.Type, h.Value)).ToList();
            if (FirstBrokenLimit(before, after, options, now) is { } broken && kept.Count > 1)
            {
                Drop(kept[^1], broken);
                continue;
            }

            if (after.Count > options.MaxIdentifiers && unowned.Count > 0)
            {
                // A new profile keeps its strongest identifiers up to the cap; an existing one gains none.
                var room = survivor is null ? options.MaxIdentifiers : 0;
                foreach (var i in unowned.Skip(room).ToList()) Drop(i, $"cap:identifiers={options.MaxIdentifiers}");
                unowned = [.. unowned.Take(room)];
            }

            var plans = merged.Select(m =>
            {
                var mergedSide = kept.First(i => owners.TryGetValue(i.ToString(), out var p) && p.Id == m.Id);
                var survivorSide = kept.First(i => owners.TryGetValue(i.ToString(), out var p) && p.Id == survivor!.Id);
                return new MergePlan(m, survivorSide, mergedSide);
            }).ToList();
            return new IdentityDecision(survivor?.Id ?? newProfileId, survivor is null, kept, unowned, plans, dropped);
        }
    }

    private static string? FirstBrokenLimit(IReadOnlyList<HeldIdentifier> before, List<(string Type, string Value, DateTimeOffset AddedAt)> after,
        IdentityOptions options, DateTimeOffset now)
    {
        foreach (var type in after.Select(a => a.Type).Distinct())
        {
            var rule = options.RuleFor(type);
            bool Counts(DateTimeOffset addedAt) => rule.Window is not { } window || addedAt >= now - window;
            var countAfter = after.Count(a => a.Type == type && Counts(a.AddedAt));
            var countBefore = before.Count(b => b.Type == type && Counts(b.AddedAt));
            if (countAfter > rule.Limit && countAfter > countBefore)
            {
                return rule.Window is { } w ? $"limit:{type}={rule.Limit}/{w.TotalDays:0.#}d" : $"limit:{type}={rule.Limit}";
            }
        }
        return null;
    }
}

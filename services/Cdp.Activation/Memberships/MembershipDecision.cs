using System.Text.Json;
using Cdp.Activation.Audiences.Definitions;
using Cdp.Activation.Profiles;

namespace Cdp.Activation.Memberships;

/// Which audiences a profile enters or exits, given its latest snapshot and current memberships.
/// No transition, no event. A merged profile stands for nobody: it exits everything.
public static class MembershipDecision
{
    /// Deliveries carry at most this many values of one identifier type, to keep messages small.
    public const int IdentifierValuesPerType = 20;

    public static List<object> Decide(ProfileState profile, ProfileMemberships? current, IEnumerable<Audience> audiences,
        DateTimeOffset now, string reason, string? causedBy)
    {
        var events = new List<object>();
        foreach (var audience in audiences)
        {
            var isMember = current?.Audiences.ContainsKey(audience.Key) == true;
            var shouldBe = profile.MergedInto is null && audience.Matches(profile.Snapshot, now);
            if (isMember == shouldBe) continue;
            var why = profile.MergedInto is not null ? MembershipReasons.Merged : audience.Deleted ? MembershipReasons.AudienceDeleted : reason;
            var identifiers = profile.Snapshot.Identifiers.ToDictionary(i => i.Key,
                i => (IReadOnlyList<string>)[.. i.Value.Take(IdentifierValuesPerType)]);
            var traits = Included(profile, audience);
            events.Add(shouldBe
                ? new AudienceEntered(profile.Id, audience.Key, audience.Version, profile.Version, why, causedBy, identifiers, traits, now)
                : new AudienceExited(profile.Id, audience.Key, audience.Version, profile.Version, why, causedBy, identifiers, traits, now));
        }
        return events;
    }

    private static Dictionary<string, JsonElement> Included(ProfileState profile, Audience audience)
    {
        var included = new Dictionary<string, JsonElement>();
        foreach (var name in audience.IncludeTraits)
        {
            if (profile.Snapshot.Traits.TryGetValue(name, out var value) || profile.Snapshot.ComputedTraits?.TryGetValue(name, out value) == true)
            {
                included[name] = value;
            }
        }
        return included;
    }
}

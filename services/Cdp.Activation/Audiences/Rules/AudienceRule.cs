using System.Text.Json;
using Cdp.Contracts.Profiles;

namespace Cdp.Activation.Audiences.Rules;

/// A parsed audience rule: a tree of conditions evaluated against a profile snapshot at an instant.
/// Built only by AudienceRuleParser, which has already checked every operator and value.
public abstract record AudienceRule
{
    public abstract bool Matches(ProfileSnapshot profile, DateTimeOffset now);

    /// Whether the answer can change with time alone, with no new event (windows, dates):
    /// such audiences are re-evaluated on a clock.
    public abstract bool IsTimeDependent { get; }
}

public sealed record AllOf(IReadOnlyList<AudienceRule> Rules) : AudienceRule
{
    public override bool Matches(ProfileSnapshot profile, DateTimeOffset now) => Rules.All(r => r.Matches(profile, now));
    public override bool IsTimeDependent => Rules.Any(r => r.IsTimeDependent);
}

public sealed record AnyOf(IReadOnlyList<AudienceRule> Rules) : AudienceRule
{
    public override bool Matches(ProfileSnapshot profile, DateTimeOffset now) => Rules.Any(r => r.Matches(profile, now));
    public override bool IsTimeDependent => Rules.Any(r => r.IsTimeDependent);
}

public sealed record NotRule(AudienceRule Rule) : AudienceRule
{
    public override bool Matches(ProfileSnapshot profile, DateTimeOffset now) => !Rule.Matches(profile, now);
    public override bool IsTimeDependent => Rule.IsTimeDependent;
}

/// A condition on a trait (or, when Computed, on a computed trait); Path may reach into objects with dots.
public sealed record TraitCondition(string Path, string Operator, JsonElement? Value, bool Computed) : AudienceRule
{
    public override bool Matches(ProfileSnapshot profile, DateTimeOffset now)
    {
        var traits = Computed ? profile.ComputedTraits : profile.Traits;
        var found = TraitComparison.Find(traits, Path);
        return TraitComparison.Test(found, Operator, Value, now);
    }

    public override bool IsTimeDependent => Operator is "within_last_days" or "within_next_days";
}

/// How often a track event happened: ever, or within the last WithinDays calendar days (UTC, today included).
public sealed record EventCondition(string Event, string Operator, long Count, int? WithinDays) : AudienceRule
{
    public override bool Matches(ProfileSnapshot profile, DateTimeOffset now)
    {
        var count = CountOf(profile, now);
        return Operator switch
        {
            "never" => count == 0,
            "ever" => count > 0,
            "eq" => count == Count,
            "neq" => count != Count,
            "gt" => count > Count,
            "gte" => count >= Count,
            "lt" => count < Count,
            "lte" => count <= Count,
            _ => false,
        };
    }

    private long CountOf(ProfileSnapshot profile, DateTimeOffset now)
    {
        if (WithinDays is not { } days)
        {
            return profile.EventCounts is { } counts && counts.TryGetValue(Event, out var total) ? total : 0;
        }
        if (profile.DailyCounts is null || !profile.DailyCounts.TryGetValue(Event, out var daily)) return 0;
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var first = today.AddDays(1 - days);
        long sum = 0;
        foreach (var (day, n) in daily)
        {
            if (DateOnly.TryParseExact(day, "yyyy-MM-dd", out var d) && d >= first && d <= today) sum += n;
        }
        return sum;
    }

    public override bool IsTimeDependent => WithinDays is not null;
}

public sealed record LastSeenWithin(int Days) : AudienceRule
{
    public override bool Matches(ProfileSnapshot profile, DateTimeOffset now) =>
        profile.EventCount > 0 && profile.LastSeen >= now.AddDays(-Days);

    public override bool IsTimeDependent => true;
}

public sealed record HasIdentifier(string Type) : AudienceRule
{
    public override bool Matches(ProfileSnapshot profile, DateTimeOffset now) =>
        profile.Identifiers.TryGetValue(Type, out var values) && values.Count > 0;

    public override bool IsTimeDependent => false;
}

public sealed record FromDataParty(string Party) : AudienceRule
{
    public override bool Matches(ProfileSnapshot profile, DateTimeOffset now) => profile.DataParties?.Contains(Party) == true;
    public override bool IsTimeDependent => false;
}

public sealed record FromSource(string Source) : AudienceRule
{
    public override bool Matches(ProfileSnapshot profile, DateTimeOffset now) => profile.Sources?.Contains(Source) == true;
    public override bool IsTimeDependent => false;
}

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

    /// The first instant after <paramref name="now"/> at which the answer could differ with no new event, or null when
    /// time alone never changes it. It may come early (the clock sweep then evaluates and changes nothing), never late:
    /// the clock sweep evaluates a profile only once this instant has passed.
    public virtual DateTimeOffset? NextChange(ProfileSnapshot profile, DateTimeOffset now) => null;

    /// Instants differ from a boundary by this much: the first instant past an inclusive bound, kept at a resolution
    /// PostgreSQL stores (microseconds) so a due time read back is not before the boundary.
    protected static readonly TimeSpan JustAfter = TimeSpan.FromMilliseconds(1);

    /// Adds without overflowing: a trait may hold any date DateTimeOffset parses, 9999-12-31 included.
    protected static DateTimeOffset Plus(DateTimeOffset instant, TimeSpan span) =>
        span >= TimeSpan.Zero
            ? (DateTimeOffset.MaxValue - instant <= span ? DateTimeOffset.MaxValue : instant + span)
            : (instant - DateTimeOffset.MinValue <= -span ? DateTimeOffset.MinValue : instant + span);
}

public sealed record AllOf(IReadOnlyList<AudienceRule> Rules) : AudienceRule
{
    public override bool Matches(ProfileSnapshot profile, DateTimeOffset now) => Rules.All(r => r.Matches(profile, now));
    public override bool IsTimeDependent => Rules.Any(r => r.IsTimeDependent);
    public override DateTimeOffset? NextChange(ProfileSnapshot profile, DateTimeOffset now) => Rules.Min(r => r.NextChange(profile, now));
}

public sealed record AnyOf(IReadOnlyList<AudienceRule> Rules) : AudienceRule
{
    public override bool Matches(ProfileSnapshot profile, DateTimeOffset now) => Rules.Any(r => r.Matches(profile, now));
    public override bool IsTimeDependent => Rules.Any(r => r.IsTimeDependent);
    public override DateTimeOffset? NextChange(ProfileSnapshot profile, DateTimeOffset now) => Rules.Min(r => r.NextChange(profile, now));
}

public sealed record NotRule(AudienceRule Rule) : AudienceRule
{
    public override bool Matches(ProfileSnapshot profile, DateTimeOffset now) => !Rule.Matches(profile, now);
    public override bool IsTimeDependent => Rule.IsTimeDependent;
    public override DateTimeOffset? NextChange(ProfileSnapshot profile, DateTimeOffset now) => Rule.NextChange(profile, now);
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

    /// within_last_days matches from the date to the date plus the window; within_next_days from the date minus the
    /// window to the date (TraitComparison): the answer turns at the two ends.
    public override DateTimeOffset? NextChange(ProfileSnapshot profile, DateTimeOffset now)
    {
        if (!IsTimeDependent || Value is not { ValueKind: JsonValueKind.Number } v) return null;
        var traits = Computed ? profile.ComputedTraits : profile.Traits;
        if (TraitComparison.Find(traits, Path) is not { } found || TraitComparison.AsDate(found) is not { } date) return null;
        var window = TimeSpan.FromDays(v.GetInt32());
        var (from, to) = Operator == "within_last_days" ? (date, Plus(date, window)) : (Plus(date, -window), date);
        if (now < from) return from;
        return now <= to ? Plus(to, JustAfter) : null;
    }
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
        var (first, today) = Window(now, days);
        long sum = 0;
        foreach (var (day, n) in daily)
        {
            if (TryDay(day, out var d) && d >= first && d <= today) sum += n;
        }
        return sum;
    }

    /// The days a window of <paramref name="days"/> counts at <paramref name="now"/>: today (UTC) and the days before it.
    private static (DateOnly First, DateOnly Today) Window(DateTimeOffset now, int days)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        return (today.AddDays(1 - days), today);
    }

    /// DailyCounts are keyed by day as yyyy-MM-dd; any other key counts for no day.
    private static bool TryDay(string key, out DateOnly day) => DateOnly.TryParseExact(key, "yyyy-MM-dd", out day);

    public override bool IsTimeDependent => WithinDays is not null;

    /// The window's count changes only at a UTC midnight: when a counted day leaves the window, or a day counted ahead
    /// of today (an event stamped in the future) enters it.
    public override DateTimeOffset? NextChange(ProfileSnapshot profile, DateTimeOffset now)
    {
        if (WithinDays is not { } days || profile.DailyCounts is null || !profile.DailyCounts.TryGetValue(Event, out var daily)) return null;
        var (first, today) = Window(now, days);
        DateOnly? next = null;
        foreach (var (day, n) in daily)
        {
            if (n == 0 || !TryDay(day, out var d) || d < first || d.DayNumber > DateOnly.MaxValue.DayNumber - days) continue;
            var turns = d > today ? d : d.AddDays(days);
            if (next is null || turns < next) next = turns;
        }
        return next is { } midnight ? new DateTimeOffset(midnight.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : null;
    }
}

public sealed record LastSeenWithin(int Days) : AudienceRule
{
    public override bool Matches(ProfileSnapshot profile, DateTimeOffset now) =>
        profile.EventCount > 0 && profile.LastSeen >= now.AddDays(-Days);

    public override bool IsTimeDependent => true;

    public override DateTimeOffset? NextChange(ProfileSnapshot profile, DateTimeOffset now) =>
        profile.EventCount > 0 && Plus(profile.LastSeen, TimeSpan.FromDays(Days)) is var until && until >= now ? Plus(until, JustAfter) : null;
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

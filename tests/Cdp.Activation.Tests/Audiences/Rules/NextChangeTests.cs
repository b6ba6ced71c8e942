using System.Globalization;
using Cdp.Activation.Audiences.Rules;
using Cdp.Contracts.Profiles;
using static Cdp.Activation.Tests.Audiences.Rules.Snapshots;

namespace Cdp.Activation.Tests.Audiences.Rules;

/// When time alone could next change a rule's answer: the clock sweep evaluates a profile only after that instant,
/// so it must never come later than the answer really changes.
public class NextChangeTests
{
    private static DateTimeOffset? NextChange(string rule, ProfileSnapshot profile) =>
        AudienceRuleParser.Parse(Json(rule)).NextChange(profile, Now);

    private static Dictionary<string, IReadOnlyDictionary<string, int>> Orders(params string[] days) =>
        new() { ["Order Completed"] = days.ToDictionary(d => d, _ => 1) };

    private static readonly TimeSpan JustAfter = TimeSpan.FromMilliseconds(1);

    [Fact]
    public void Given_an_event_window_when_asked_then_the_next_change_is_the_midnight_its_oldest_counted_day_leaves()
    {
        const string rule = """{"event":"Order Completed","op":"gte","value":1,"within_days":30}""";
        Assert.Equal(new DateTimeOffset(2026, 12, 20, 0, 0, 0, TimeSpan.Zero), NextChange(rule, With(daily: Orders("2026-11-20", "2026-11-27"))));
        // A day stamped ahead of today enters the window at its midnight.
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero), NextChange(rule, With(daily: Orders("2026-11-30", "2026-11-27"))));
        // Days already out of the window never count again; no counts, no change.
        Assert.Null(NextChange(rule, With(daily: Orders("2026-10-01"))));
        Assert.Null(NextChange(rule, With()));
    }

    [Fact]
    public void Given_last_seen_and_date_windows_when_asked_then_the_next_change_is_the_window_edge()
    {
        Assert.Equal(Now.AddDays(5) + JustAfter, NextChange("""{"last_seen_within_days":7}""", With(lastSeen: Now.AddDays(-2))));
        Assert.Null(NextChange("""{"last_seen_within_days":7}""", With(lastSeen: Now.AddDays(-8))));

        var profile = With($$"""{"signed_up_at":"{{Now.AddDays(-1):O}}","starts_at":"{{Now.AddDays(1):O}}","trial_ends_at":"{{Now.AddDays(5):O}}"}""");
        Assert.Equal(Now.AddDays(2) + JustAfter, NextChange("""{"trait":"signed_up_at","op":"within_last_days","value":3}""", profile));
        Assert.Equal(Now.AddDays(1), NextChange("""{"trait":"starts_at","op":"within_last_days","value":3}""", profile));
        Assert.Equal(Now.AddDays(3), NextChange("""{"trait":"trial_ends_at","op":"within_next_days","value":2}""", profile));
        Assert.Equal(Now.AddDays(5) + JustAfter, NextChange("""{"trait":"trial_ends_at","op":"within_next_days","value":7}""", profile));
        Assert.Null(NextChange("""{"trait":"signed_up_at","op":"within_next_days","value":7}""", profile));
        Assert.Null(NextChange("""{"trait":"missing","op":"within_next_days","value":7}""", profile));
        // Dates at the ends of the calendar do not overflow.
        var ends = With("""{"far":"9999-12-31T23:59:59Z","early":"0001-01-01T00:00:00Z"}""");
        Assert.Equal(new DateTimeOffset(9999, 12, 31, 23, 59, 59, TimeSpan.Zero), NextChange("""{"trait":"far","op":"within_last_days","value":90}""", ends));
        Assert.Equal(new DateTimeOffset(9999, 10, 2, 23, 59, 59, TimeSpan.Zero), NextChange("""{"trait":"far","op":"within_next_days","value":90}""", ends));
        Assert.Null(NextChange("""{"trait":"early","op":"within_next_days","value":90}""", ends));
    }

    [Fact]
    public void Given_combined_rules_when_asked_then_the_earliest_change_of_any_part_counts_and_timeless_parts_none()
    {
        var profile = With("""{"plan":"pro"}""", lastSeen: Now.AddDays(-2), daily: Orders("2026-11-27"));
        const string window = """{"event":"Order Completed","op":"gte","value":1,"within_days":2}""";
        Assert.Equal(new DateTimeOffset(2026, 11, 29, 0, 0, 0, TimeSpan.Zero),
            NextChange($$$"""{"all":[{"trait":"plan","op":"eq","value":"pro"},{"not":{"last_seen_within_days":7}},{"any":[{{{window}}}]}]}""", profile));
        Assert.Null(NextChange("""{"all":[{"trait":"plan","op":"eq","value":"pro"},{"has_identifier":"email"}]}""", profile));
    }

    /// Rules of every time-dependent kind, nested, against profiles with counts, visits and dates around now: at every
    /// instant sampled before the next change the answer is the one of now, and with no next change it never moves.
    [Fact]
    public void Given_generated_rules_and_profiles_when_the_clock_moves_before_the_next_change_then_the_answer_holds()
    {
        var random = new Random(7);
        var checkedInstants = 0;
        for (var i = 0; i < 2_000; i++)
        {
            var rule = AudienceRuleParser.Parse(Json(Rule(random, 0)));
            var profile = Profile(random);
            var now = Now.AddMinutes(random.Next(-3_000, 3_000));
            var answer = rule.Matches(profile, now);
            var next = rule.NextChange(profile, now);
            Assert.True(next is null || next > now, $"next change {next:O} is not after {now:O}");
            var horizon = next ?? now.AddDays(400);
            var instants = Enumerable.Range(0, 20).Select(_ => now + (horizon - now) * random.NextDouble())
                .Append(horizon - TimeSpan.FromMilliseconds(1)).Where(t => t >= now && t < horizon);
            foreach (var t in instants)
            {
                Assert.True(rule.Matches(profile, t) == answer, $"rule {rule} changed at {t:O} before its next change {next:O} (now {now:O})");
                checkedInstants++;
            }
        }
        Assert.True(checkedInstants > 30_000, $"only {checkedInstants} instants checked");
    }

    private static string Rule(Random r, int depth) => (depth < 3 ? r.Next(8) : r.Next(5)) switch
    {
        0 when r.Next(4) == 0 => $$"""{"event":"Order Completed","op":"{{(r.Next(2) == 0 ? "never" : "ever")}}","within_days":{{r.Next(1, 91)}}}""",
        0 => $$"""{"event":"Order Completed","op":"{{new[] { "gte", "lt", "eq" }[r.Next(3)]}}","value":{{r.Next(0, 4)}},"within_days":{{r.Next(1, 91)}}}""",
        1 => $$"""{"last_seen_within_days":{{r.Next(1, 60)}}}""",
        2 => $$"""{"trait":"d","op":"within_last_days","value":{{r.Next(1, 60)}}}""",
        3 => $$"""{"trait":"d","op":"within_next_days","value":{{r.Next(1, 60)}}}""",
        4 => """{"trait":"plan","op":"eq","value":"pro"}""",
        5 => $$"""{"not":{{Rule(r, depth + 1)}}}""",
        6 => $$"""{"all":[{{Rule(r, depth + 1)}},{{Rule(r, depth + 1)}}]}""",
        _ => $$"""{"any":[{{Rule(r, depth + 1)}},{{Rule(r, depth + 1)}}]}""",
    };

    private static ProfileSnapshot Profile(Random r)
    {
        var days = Enumerable.Range(0, r.Next(0, 5))
            .Select(_ => DateOnly.FromDateTime(Now.UtcDateTime).AddDays(r.Next(-100, 10)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
            .Distinct().ToArray();
        var date = Now.AddMinutes(r.Next(-60 * 24 * 80, 60 * 24 * 80)).ToOffset(TimeSpan.FromHours(r.Next(-12, 13)));
        return With($$"""{"plan":"pro","d":"{{date:O}}"}""", lastSeen: Now.AddMinutes(r.Next(-60 * 24 * 80, 60 * 24 * 10)), daily: Orders(days));
    }
}

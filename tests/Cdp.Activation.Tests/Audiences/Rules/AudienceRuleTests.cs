using Cdp.Activation.Audiences.Rules;
using static Cdp.Activation.Tests.Audiences.Rules.Snapshots;

namespace Cdp.Activation.Tests.Audiences.Rules;

public class AudienceRuleTests
{
    private static bool Matches(string rule, Cdp.Contracts.Profiles.ProfileSnapshot profile, DateTimeOffset? now = null) =>
        AudienceRuleParser.Parse(Json(rule)).Matches(profile, now ?? Now);

    [Theory]
    [InlineData("""{"trait":"plan","op":"eq","value":"pro"}""", true)]
    [InlineData("""{"trait":"plan","op":"neq","value":"pro"}""", false)]
    [InlineData("""{"trait":"age","op":"eq","value":42.0}""", true)]
    [InlineData("""{"trait":"age","op":"gt","value":41.5}""", true)]
    [InlineData("""{"trait":"age","op":"gte","value":42}""", true)]
    [InlineData("""{"trait":"age","op":"lt","value":42}""", false)]
    [InlineData("""{"trait":"age","op":"lte","value":42}""", true)]
    [InlineData("""{"trait":"score","op":"gt","value":9}""", true)]
    [InlineData("""{"trait":"email","op":"contains","value":"@example."}""", true)]
    [InlineData("""{"trait":"tags","op":"contains","value":"vip"}""", true)]
    [InlineData("""{"trait":"tags","op":"contains","value":"vi"}""", false)]
    [InlineData("""{"trait":"email","op":"starts_with","value":"ann"}""", true)]
    [InlineData("""{"trait":"email","op":"starts_with","value":"Ann"}""", false)]
    [InlineData("""{"trait":"plan","op":"in","value":["team","pro"]}""", true)]
    [InlineData("""{"trait":"plan","op":"in","value":["team"]}""", false)]
    [InlineData("""{"trait":"address.city","op":"eq","value":"Oslo"}""", true)]
    [InlineData("""{"trait":"address.zip","op":"exists"}""", false)]
    [InlineData("""{"trait":"nickname","op":"not_exists"}""", true)]
    [InlineData("""{"trait":"cleared","op":"exists"}""", false)]
    [InlineData("""{"trait":"signed_up_at","op":"gt","value":"2026-01-01T00:00:00Z"}""", true)]
    [InlineData("""{"trait":"signed_up_at","op":"lt","value":"2026-01-01"}""", false)]
    [InlineData("""{"trait":"plan","op":"gt","value":3}""", false)]
    [InlineData("""{"trait":"huge","op":"gt","value":5}""", true)]
    [InlineData("""{"trait":"huge","op":"eq","value":1e300}""", true)]
    [InlineData("""{"trait":"age","op":"lt","value":1e300}""", true)]
    public void Given_trait_conditions_when_evaluated_then_each_operator_behaves(string rule, bool expected)
    {
        var profile = With("""
            {"plan":"pro","age":42,"score":"10","email":"ann@example.com","tags":["vip","beta"],
             "address":{"city":"Oslo"},"cleared":null,"signed_up_at":"2026-03-01T10:00:00Z","huge":1e300}
            """);
        Assert.Equal(expected, Matches(rule, profile));
    }

    [Fact]
    public void Given_a_missing_trait_when_evaluated_then_only_neq_and_not_exists_match()
    {
        var profile = With();
        Assert.True(Matches("""{"trait":"plan","op":"neq","value":"pro"}""", profile));
        Assert.True(Matches("""{"trait":"plan","op":"not_exists"}""", profile));
        Assert.False(Matches("""{"trait":"plan","op":"eq","value":"pro"}""", profile));
        Assert.False(Matches("""{"trait":"plan","op":"lt","value":3}""", profile));
        Assert.False(Matches("""{"trait":"plan","op":"in","value":["pro"]}""", profile));
    }

    [Fact]
    public void Given_all_any_and_not_when_evaluated_then_they_combine()
    {
        var profile = With("""{"plan":"pro","country":"NO"}""");
        Assert.True(Matches("""{"all":[{"trait":"plan","op":"eq","value":"pro"},{"any":[{"trait":"country","op":"eq","value":"SE"},{"trait":"country","op":"eq","value":"NO"}]}]}""", profile));
        Assert.False(Matches("""{"all":[{"trait":"plan","op":"eq","value":"pro"},{"not":{"trait":"country","op":"eq","value":"NO"}}]}""", profile));
    }

    [Fact]
    public void Given_a_30_day_window_when_the_clock_moves_then_an_event_counts_until_its_30th_day_inclusive()
    {
        // Three orders on 2026-10-30 (UTC): day 1 of the window is that day, day 30 is 2026-11-28.
        var profile = With(daily: new() { ["Order Completed"] = new Dictionary<string, int> { ["2026-10-30"] = 3 } });
        const string rule = """{"event":"Order Completed","op":"gte","value":3,"within_days":30}""";
        Assert.True(Matches(rule, profile, new DateTimeOffset(2026, 11, 28, 23, 59, 59, TimeSpan.Zero)));
        Assert.False(Matches(rule, profile, new DateTimeOffset(2026, 11, 29, 0, 0, 0, TimeSpan.Zero)));
        Assert.False(Matches(rule, profile, new DateTimeOffset(2026, 10, 29, 23, 59, 59, TimeSpan.Zero)), "a day before the orders, none count");
    }

    [Fact]
    public void Given_event_counts_when_evaluated_then_ever_never_and_lifetime_counts_work()
    {
        var profile = With(counts: new() { ["Order Completed"] = 2 },
            daily: new() { ["Order Completed"] = new Dictionary<string, int> { ["2026-11-28"] = 1, ["2026-11-01"] = 1 } });
        Assert.True(Matches("""{"event":"Signed Up","op":"never"}""", profile));
        Assert.False(Matches("""{"event":"Order Completed","op":"never"}""", profile));
        Assert.True(Matches("""{"event":"Order Completed","op":"ever"}""", profile));
        Assert.True(Matches("""{"event":"Order Completed","op":"eq","value":2}""", profile));
        Assert.True(Matches("""{"event":"Order Completed","op":"eq","value":1,"within_days":7}""", profile));
        Assert.True(Matches("""{"event":"Order Completed","op":"never","within_days":1}""", profile, Now.AddDays(1)));
    }

    [Fact]
    public void Given_last_seen_within_days_when_the_clock_passes_the_edge_then_it_stops_matching()
    {
        var profile = With(lastSeen: Now);
        const string rule = """{"last_seen_within_days":7}""";
        Assert.True(Matches(rule, profile, Now.AddDays(7)));
        Assert.False(Matches(rule, profile, Now.AddDays(7).AddSeconds(1)));
    }

    [Fact]
    public void Given_date_traits_when_windows_are_asked_then_within_last_and_next_days_follow_the_clock()
    {
        var profile = With("""{"trial_ends_at":"2026-11-30T12:00:00Z","signed_up_at":"2026-11-25T12:00:00Z"}""");
        Assert.True(Matches("""{"trait":"trial_ends_at","op":"within_next_days","value":2}""", profile));
        Assert.False(Matches("""{"trait":"trial_ends_at","op":"within_next_days","value":1}""", profile));
        Assert.True(Matches("""{"trait":"signed_up_at","op":"within_last_days","value":3}""", profile));
        Assert.False(Matches("""{"trait":"signed_up_at","op":"within_last_days","value":3}""", profile, Now.AddSeconds(1)));
    }

    [Fact]
    public void Given_computed_traits_identifiers_sources_and_parties_when_evaluated_then_they_are_read()
    {
        var profile = With(computedJson: """{"lifetime_revenue":120.50}""", sources: ["crm"], parties: ["first", "third"],
            identifiers: new() { ["email"] = ["ann@example.com"] });
        Assert.True(Matches("""{"computed":"lifetime_revenue","op":"gt","value":100}""", profile));
        Assert.False(Matches("""{"trait":"lifetime_revenue","op":"exists"}""", profile));
        Assert.True(Matches("""{"has_identifier":"email"}""", profile));
        Assert.False(Matches("""{"has_identifier":"user_id"}""", profile));
        Assert.True(Matches("""{"source":"crm"}""", profile));
        Assert.True(Matches("""{"data_party":"third"}""", profile));
        Assert.False(Matches("""{"data_party":"second"}""", profile));
    }
}

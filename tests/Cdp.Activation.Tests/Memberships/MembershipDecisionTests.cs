using Cdp.Activation.Audiences.Definitions;
using Cdp.Activation.Memberships;
using Cdp.Activation.Profiles;
using static Cdp.Activation.Tests.Audiences.Rules.Snapshots;

namespace Cdp.Activation.Tests.Memberships;

public class MembershipDecisionTests
{
    private static Audience Pro(bool deleted = false) => new()
    {
        Id = Audience.StreamId("pro"), Key = "pro", Name = "Pro", Version = 2, Deleted = deleted, IncludeTraits = ["plan", "ltv"],
        Rule = Json("""{"trait":"plan","op":"eq","value":"pro"}"""),
    };

    private static ProfileState State(string traits, string? mergedInto = null) =>
        new("p1", 7, With(traits, computedJson: """{"ltv":10}"""), "m1", Now, mergedInto);

    private static ProfileMemberships MemberOfPro() => new() { Id = "p1", Version = 1, Audiences = { ["pro"] = new Membership(Now, 1, 3) } };

    [Fact]
    public void Given_a_matching_profile_not_yet_a_member_when_decided_then_it_enters_with_the_included_traits()
    {
        var entered = Assert.IsType<AudienceEntered>(Assert.Single(MembershipDecision.Decide(State("""{"plan":"pro","secret":"x"}"""), null, [Pro()], Now,
            MembershipReasons.ProfileChanged, "m1")));
        Assert.Equal(("p1", "pro", 2L, 7L, "m1"), (entered.ProfileId, entered.AudienceKey, entered.AudienceVersion, entered.ProfileVersion, entered.CausedBy));
        Assert.Equal(["ltv", "plan"], entered.Traits.Keys.Order());
    }

    [Fact]
    public void Given_no_transition_when_decided_then_there_is_no_event()
    {
        Assert.Empty(MembershipDecision.Decide(State("""{"plan":"pro"}"""), MemberOfPro(), [Pro()], Now, MembershipReasons.ProfileChanged, "m1"));
        Assert.Empty(MembershipDecision.Decide(State("""{"plan":"free"}"""), null, [Pro()], Now, MembershipReasons.ProfileChanged, "m1"));
    }

    [Fact]
    public void Given_a_member_that_no_longer_matches_when_decided_then_it_exits()
    {
        var exited = Assert.IsType<AudienceExited>(Assert.Single(MembershipDecision.Decide(State("""{"plan":"free"}"""), MemberOfPro(), [Pro()], Now,
            MembershipReasons.ProfileChanged, "m2")));
        Assert.Equal(MembershipReasons.ProfileChanged, exited.Reason);
    }

    [Fact]
    public void Given_a_merged_profile_when_decided_then_it_exits_every_audience_even_if_it_matches()
    {
        var exited = Assert.IsType<AudienceExited>(Assert.Single(MembershipDecision.Decide(State("""{"plan":"pro"}""", mergedInto: "p0"), MemberOfPro(),
            [Pro()], Now, MembershipReasons.ProfileChanged, "m3")));
        Assert.Equal(MembershipReasons.Merged, exited.Reason);
        Assert.Empty(MembershipDecision.Decide(State("""{"plan":"pro"}""", mergedInto: "p0"), null, [Pro()], Now, MembershipReasons.ProfileChanged, "m3"));
    }

    [Fact]
    public void Given_a_deleted_audience_when_decided_then_its_members_exit_and_nobody_enters()
    {
        var exited = Assert.IsType<AudienceExited>(Assert.Single(MembershipDecision.Decide(State("""{"plan":"pro"}"""), MemberOfPro(), [Pro(deleted: true)],
            Now, MembershipReasons.Backfill, null)));
        Assert.Equal(MembershipReasons.AudienceDeleted, exited.Reason);
        Assert.Empty(MembershipDecision.Decide(State("""{"plan":"pro"}"""), null, [Pro(deleted: true)], Now, MembershipReasons.Backfill, null));
    }
}

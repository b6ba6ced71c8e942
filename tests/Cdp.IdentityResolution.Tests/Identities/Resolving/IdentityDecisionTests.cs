using Cdp.Contracts;
using Cdp.IdentityResolution.Identities.Resolving;

namespace Cdp.IdentityResolution.Tests.Identities.Resolving;

public class IdentityDecisionTests
{
    private static readonly Identifier User = new("user_id", "ann");
    private static readonly Identifier Anonymous = new("anonymous_id", "a1");

    [Fact]
    public void Given_unknown_identifiers_when_deciding_then_a_new_profile_holds_them_all()
    {
        var decision = IdentityDecision.Decide([User, Anonymous], new Dictionary<string, string>(), "pNew");

        Assert.Equal("pNew", decision.ProfileId);
        Assert.True(decision.IsNewProfile);
        Assert.Equal([User, Anonymous], decision.Added);
    }

    [Fact]
    public void Given_a_known_anonymous_id_when_a_user_id_arrives_then_it_joins_that_profile()
    {
        var decision = IdentityDecision.Decide([User, Anonymous], new Dictionary<string, string> { ["anonymous_id:a1"] = "p1" }, "pNew");

        Assert.Equal("p1", decision.ProfileId);
        Assert.False(decision.IsNewProfile);
        Assert.Equal([User], decision.Added);
    }

    [Fact]
    public void Given_both_identifiers_known_when_deciding_then_nothing_is_added()
    {
        var owners = new Dictionary<string, string> { ["user_id:ann"] = "p1", ["anonymous_id:a1"] = "p1" };

        var decision = IdentityDecision.Decide([User, Anonymous], owners, "pNew");

        Assert.Equal("p1", decision.ProfileId);
        Assert.Empty(decision.Added);
    }
}

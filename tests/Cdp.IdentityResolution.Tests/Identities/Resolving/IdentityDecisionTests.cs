using Cdp.Contracts;
using Cdp.IdentityResolution.Identities;
using Cdp.IdentityResolution.Identities.Resolving;
using Cdp.IdentityResolution.Identities.Rules;

namespace Cdp.IdentityResolution.Tests.Identities.Resolving;

public class IdentityDecisionTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private static readonly IdentityOptions Options = new();

    private static Identifier Id(string type, string value) => new(type, value);

    private static IdentityProfile Profile(string id, int minutesOld, params Identifier[] held) => new()
    {
        Id = id,
        CreatedAt = Now.AddMinutes(-minutesOld),
        Identifiers = [.. held.Select(h => new HeldIdentifier(h.Type, h.Value, Now.AddMinutes(-minutesOld)))],
    };

    private static Dictionary<string, IdentityProfile> OwnersOf(params IdentityProfile[] profiles) =>
        profiles.SelectMany(p => p.Identifiers.Select(i => (Key: i.Identifier.ToString(), p))).ToDictionary(x => x.Key, x => x.p);

    private static IdentityDecision Decide(IReadOnlyList<Identifier> candidates, Dictionary<string, IdentityProfile> owners, string type = "track",
        IdentityOptions? options = null) =>
        IdentityDecision.Decide(type, candidates, owners, options ?? Options, Now, "pNew");

    [Fact]
    public void Given_unknown_identifiers_when_deciding_then_a_new_profile_holds_them_all()
    {
        var decision = Decide([Id("user_id", "ann"), Id("anonymous_id", "a1")], []);

        Assert.Equal("pNew", decision.ProfileId);
        Assert.True(decision.IsNewProfile);
        Assert.Equal([Id("user_id", "ann"), Id("anonymous_id", "a1")], decision.Added);
        Assert.Empty(decision.Merges);
    }

    [Fact]
    public void Given_a_known_anonymous_id_when_a_user_id_arrives_with_it_then_it_joins_that_profile()
    {
        var visitor = Profile("p1", 10, Id("anonymous_id", "a1"));

        var decision = Decide([Id("user_id", "ann"), Id("anonymous_id", "a1")], OwnersOf(visitor));

        Assert.Equal("p1", decision.ProfileId);
        Assert.Equal([Id("user_id", "ann")], decision.Added);
    }

    [Fact]
    public void Given_a_device_shared_by_two_users_when_the_second_logs_in_then_the_device_is_dropped_and_users_stay_apart()
    {
        var first = Profile("p1", 10, Id("user_id", "ann"), Id("device_id", "d1"));

        var decision = Decide([Id("user_id", "bob"), Id("device_id", "d1")], OwnersOf(first));

        Assert.Equal("pNew", decision.ProfileId);
        Assert.Equal([Id("user_id", "bob")], decision.Used);
        Assert.Equal("limit:user_id=1", Assert.Single(decision.Dropped).Rule);
        Assert.Empty(decision.Merges);
    }

    [Fact]
    public void Given_an_email_shared_by_two_user_ids_when_resolved_then_the_second_user_keeps_its_own_profile()
    {
        var ann = Profile("p1", 10, Id("user_id", "ann"), Id("email", "family@example.com"));
        var bob = Profile("p2", 5, Id("user_id", "bob"));

        var decision = Decide([Id("user_id", "bob"), Id("email", "family@example.com")], OwnersOf(ann, bob));

        Assert.Equal("p2", decision.ProfileId);
        Assert.Empty(decision.Merges);
        Assert.Equal(new Cdp.Contracts.Identity.DroppedIdentifier("email", "family@example.com", "limit:user_id=1"), Assert.Single(decision.Dropped));
    }

    [Fact]
    public void Given_three_profiles_linked_by_one_event_when_resolved_then_they_merge_into_the_oldest()
    {
        var oldest = Profile("p1", 30, Id("anonymous_id", "a1"));
        var middle = Profile("p2", 20, Id("email", "e@example.com"));
        var newest = Profile("p3", 10, Id("device_id", "d1"));

        var decision = Decide([Id("email", "e@example.com"), Id("device_id", "d1"), Id("anonymous_id", "a1")], OwnersOf(newest, middle, oldest));

        Assert.Equal("p1", decision.ProfileId);
        Assert.Equal(["p2", "p3"], decision.Merges.Select(m => m.Merged.Id));
        Assert.Equal(Id("email", "e@example.com"), decision.Merges[0].MergedSide);
        Assert.Equal(Id("anonymous_id", "a1"), decision.Merges[0].SurvivorSide);
    }

    [Fact]
    public void Given_a_merge_that_would_join_two_known_users_when_resolved_then_the_weakest_identifier_is_dropped()
    {
        var ann = Profile("p1", 30, Id("user_id", "ann"), Id("anonymous_id", "shared"));
        var bob = Profile("p2", 20, Id("user_id", "bob"), Id("email", "bob@example.com"));

        var decision = Decide([Id("email", "bob@example.com"), Id("anonymous_id", "shared")], OwnersOf(ann, bob));

        Assert.Equal("p2", decision.ProfileId);
        Assert.Empty(decision.Merges);
        Assert.Equal("anonymous_id", Assert.Single(decision.Dropped).Type);
    }

    [Fact]
    public void Given_a_group_call_linking_two_profiles_when_resolved_then_they_are_not_merged()
    {
        var ann = Profile("p1", 30, Id("user_id", "ann"));
        var visitor = Profile("p2", 20, Id("anonymous_id", "a9"));

        var decision = Decide([Id("user_id", "ann"), Id("anonymous_id", "a9")], OwnersOf(ann, visitor), type: "group");

        Assert.Equal("p1", decision.ProfileId);
        Assert.Empty(decision.Merges);
        Assert.Equal("group-does-not-merge", Assert.Single(decision.Dropped).Rule);
    }

    [Fact]
    public void Given_five_recent_anonymous_ids_when_a_sixth_arrives_then_it_is_dropped_by_the_weekly_limit()
    {
        var profile = Profile("p1", 60, [Id("user_id", "ann"), .. Enumerable.Range(0, 5).Select(i => Id("anonymous_id", $"a{i}"))]);

        var decision = Decide([Id("user_id", "ann"), Id("anonymous_id", "a5")], OwnersOf(profile));

        Assert.Equal("p1", decision.ProfileId);
        Assert.Equal("limit:anonymous_id=5/7d", Assert.Single(decision.Dropped).Rule);
    }

    [Fact]
    public void Given_five_anonymous_ids_older_than_the_window_when_a_sixth_arrives_then_it_is_added()
    {
        var profile = Profile("p1", 60 * 24 * 8, [Id("user_id", "ann"), .. Enumerable.Range(0, 5).Select(i => Id("anonymous_id", $"a{i}"))]);

        var decision = Decide([Id("user_id", "ann"), Id("anonymous_id", "a5")], OwnersOf(profile));

        Assert.Equal([Id("anonymous_id", "a5")], decision.Added);
        Assert.Empty(decision.Dropped);
    }

    [Fact]
    public void Given_a_survivor_at_the_merge_cap_when_another_profile_links_then_the_merge_is_refused_and_recorded()
    {
        var capped = Profile("p1", 30, Id("email", "e@example.com"));
        capped.MergeCount = 100;
        var other = Profile("p2", 20, Id("anonymous_id", "a1"));

        var decision = Decide([Id("email", "e@example.com"), Id("anonymous_id", "a1")], OwnersOf(capped, other));

        Assert.Equal("p1", decision.ProfileId);
        Assert.Empty(decision.Merges);
        Assert.Equal("cap:merges=100", Assert.Single(decision.Dropped).Rule);
    }

    [Fact]
    public void Given_a_profile_at_the_identifier_cap_when_new_identifiers_arrive_then_the_event_resolves_but_adds_none()
    {
        var options = new IdentityOptions { MaxIdentifiers = 2 };
        var full = Profile("p1", 30, Id("user_id", "ann"), Id("email", "ann@example.com"));

        var decision = Decide([Id("user_id", "ann"), Id("device_id", "d1")], OwnersOf(full), options: options);

        Assert.Equal("p1", decision.ProfileId);
        Assert.Empty(decision.Added);
        Assert.Equal("cap:identifiers=2", Assert.Single(decision.Dropped).Rule);
    }

    [Fact]
    public void Given_a_new_person_with_more_identifiers_than_the_cap_when_resolved_then_the_strongest_are_kept()
    {
        var options = new IdentityOptions { MaxIdentifiers = 2 };

        var decision = Decide([Id("user_id", "ann"), Id("email", "a@example.com"), Id("device_id", "d1")], [], options: options);

        Assert.True(decision.IsNewProfile);
        Assert.Equal([Id("user_id", "ann"), Id("email", "a@example.com")], decision.Added);
        Assert.Equal("cap:identifiers=2", Assert.Single(decision.Dropped).Rule);
    }
}

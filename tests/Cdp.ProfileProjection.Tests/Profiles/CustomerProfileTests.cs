using System.Text.Json;
using Cdp.Contracts;
using Cdp.ProfileProjection.Profiles;

namespace Cdp.ProfileProjection.Tests.Profiles;

public class CustomerProfileTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static Identified Identify(string traits, DateTimeOffset at, string messageId) =>
        new("p1", JsonDocument.Parse(traits).RootElement, new Provenance(messageId, "crm", "second", at, null), at);

    [Fact]
    public void Given_two_writes_in_either_order_when_applied_then_the_later_timestamp_wins()
    {
        var older = Identify("""{"plan":"free"}""", T0, "m1");
        var newer = Identify("""{"plan":"pro"}""", T0.AddMinutes(1), "m2");

        var inOrder = new CustomerProfile();
        inOrder.Record(older);
        inOrder.Record(newer);
        var reversed = new CustomerProfile();
        reversed.Record(newer);
        reversed.Record(older);

        Assert.Equal("pro", inOrder.Traits["plan"].Value!.Value.GetString());
        Assert.Equal("pro", reversed.Traits["plan"].Value!.Value.GetString());
        Assert.Equal("m2", reversed.Traits["plan"].MessageId);
        Assert.Equal("crm", reversed.Traits["plan"].SourceId);
    }

    [Fact]
    public void Given_events_carrying_linked_identifiers_and_an_older_IdentifiersLinked_when_applied_then_each_identifier_is_held_once()
    {
        var profile = new CustomerProfile();
        profile.Record(new IdentifiersLinked("p1", [new Identifier("anonymous_id", "a1")], "m0", T0));
        profile.Record(new PageViewed("p1", "Home", null,
            new Provenance("m1", "web", "first", T0, null, [new Identifier("user_id", "ann"), new Identifier("anonymous_id", "a1")]), T0));
        profile.Record(new Tracked("p1", "Paid", null, new Provenance("m2", "web", "first", T0, null, [new Identifier("email", "ann@example.com")]), T0));

        Assert.Equal(["anonymous_id:a1", "user_id:ann", "email:ann@example.com"], profile.IdentifierKeys);
        Assert.Equal(["a1"], profile.Identifiers["anonymous_id"]);
        Assert.Equal(2, profile.EventCount);
    }

    [Fact]
    public void Given_a_null_trait_when_applied_then_it_clears_and_an_older_value_cannot_bring_it_back()
    {
        var profile = new CustomerProfile();
        profile.Record(Identify("""{"plan":null}""", T0.AddMinutes(5), "m3"));
        profile.Record(Identify("""{"plan":"pro"}""", T0, "m1"));

        Assert.True(profile.Traits["plan"].IsCleared);
    }

    [Fact]
    public void Given_equal_timestamps_when_applied_then_the_higher_message_id_wins_in_any_order()
    {
        var a = Identify("""{"x":1}""", T0, "a");
        var b = Identify("""{"x":2}""", T0, "b");
        var p1 = new CustomerProfile();
        p1.Record(a);
        p1.Record(b);
        var p2 = new CustomerProfile();
        p2.Record(b);
        p2.Record(a);

        Assert.Equal(2, p1.Traits["x"].Value!.Value.GetInt32());
        Assert.Equal(2, p2.Traits["x"].Value!.Value.GetInt32());
    }

    [Fact]
    public void Given_a_merged_profile_when_absorbed_then_traits_follow_last_writer_wins_and_counts_add_up()
    {
        var survivor = new CustomerProfile();
        survivor.Record(Identify("""{"plan":"free","city":"Oslo"}""", T0, "m1"));
        var merged = new CustomerProfile();
        merged.Record(Identify("""{"plan":"pro"}""", T0.AddMinutes(1), "m2"));
        merged.Record(Identify("""{"city":"Bergen"}""", T0.AddMinutes(-5), "m3"));

        survivor.Record(new ProfileMergedFrom("p1", "p2", "m4", merged.Traits, merged.Identifiers, merged.EventCount, merged.FirstSeen, merged.LastSeen, T0));

        Assert.Equal("pro", survivor.Traits["plan"].Value!.Value.GetString());
        Assert.Equal("Oslo", survivor.Traits["city"].Value!.Value.GetString());
        Assert.Equal(3, survivor.EventCount);
        Assert.Equal(T0.AddMinutes(-5), survivor.FirstSeen);
        Assert.Equal(T0.AddMinutes(1), survivor.LastSeen);
    }

    [Fact]
    public void Given_extreme_values_when_projected_then_sums_saturate_and_ancient_timestamps_do_not_throw()
    {
        var computed = new[] { new ComputedTraitDefinition { Name = "total", Event = "Paid", Property = "amount", Aggregate = "sum" } };
        var profile = new CustomerProfile();
        var huge = JsonDocument.Parse("""{"amount":70000000000000000000000000000}""").RootElement;
        var ancient = DateTimeOffset.MinValue;

        profile.Record(new Tracked("p1", "Paid", huge, new Provenance("m1", "web", "first", T0, null), ancient), computed);
        profile.Record(new Tracked("p1", "Paid", huge, new Provenance("m2", "web", "first", T0, null), ancient.AddHours(1)), computed);

        Assert.Equal(decimal.MaxValue, profile.Activity.Computed["total"].Number);
        Assert.Equal(2, profile.EventCount);
    }
}

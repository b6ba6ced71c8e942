using Cdp.ProfileProjection.Profiles;

namespace Cdp.ProfileProjection.Tests.Profiles;

/// Property-style: for many seeded histories, any order of the same events gives the same profile.
public class OrderIndependenceTests
{
    public static IEnumerable<object[]> Seeds => Enumerable.Range(1, 200).Select(s => new object[] { s });

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Given_a_history_in_any_order_when_projected_then_the_profile_is_the_same(int seed)
    {
        var history = ProfileHistories.Generate(seed, 40);
        var shuffled = history.OrderBy(_ => new Random(seed * 7919).Next()).ToList();
        new Random(seed).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(shuffled));

        var inOrder = ProfileHistories.Apply(history);
        var anyOrder = ProfileHistories.Apply(shuffled);

        Assert.Equal(ProfileHistories.Canonical(inOrder), ProfileHistories.Canonical(anyOrder));
    }

    [Fact]
    public void Given_orders_when_projected_then_computed_traits_and_counters_match_the_history()
    {
        var history = ProfileHistories.Generate(seed: 5, count: 300);
        var orders = history.OfType<Tracked>().Where(t => t.Event == "Order Completed").ToList();
        var revenues = orders.Select(o => o.Properties!.Value.GetProperty("revenue").GetDecimal()).ToList();

        var profile = ProfileHistories.Apply(history);

        Assert.Equal(revenues.Sum(), profile.Activity.Computed["revenue"].Number);
        Assert.Equal(orders.Count, profile.Activity.Computed["orders"].Number);
        Assert.Equal(revenues.Max(), profile.Activity.Computed["largest"].Number);
        Assert.Equal(revenues.Min(), profile.Activity.Computed["smallest"].Number);
        Assert.Equal(orders.Count, profile.Activity.Events["Order Completed"].Count);
        Assert.Equal(history.OfType<PageViewed>().Count(), profile.Activity.PageViews);
        Assert.Equal(history.Count, profile.EventCount);
        var lastPlan = history.OfType<Tracked>().Where(t => t.Event == "Subscribed")
            .OrderBy(t => t.Timestamp).ThenBy(t => t.Provenance.MessageId, StringComparer.Ordinal).Last();
        Assert.Equal(lastPlan.Properties!.Value.GetProperty("plan").GetString(), profile.Activity.Computed["last_plan"].Value!.Value.GetString());
    }

    [Fact]
    public void Given_events_older_than_90_days_before_the_latest_when_projected_then_their_days_are_pruned()
    {
        var history = ProfileHistories.Generate(seed: 9, count: 400);
        var profile = ProfileHistories.Apply(history);
        var latest = history.Select(e => e switch { Tracked t => t.Timestamp, Identified i => i.Timestamp, PageViewed p => p.Timestamp,
            ScreenViewed s => s.Timestamp, GroupJoined g => g.Timestamp, _ => DateTimeOffset.MinValue }).Max();
        var oldestKept = ProfileActivity.DayOf(latest.AddDays(-89));

        var days = profile.Activity.DailyCounts.SelectMany(d => d.Value.Keys).ToList();
        Assert.NotEmpty(days);
        Assert.All(days, d => Assert.True(string.CompareOrdinal(d, oldestKept) >= 0, $"{d} is older than {oldestKept}"));
        var expectedRecent = history.OfType<Tracked>().Count(t => t.Event == "Order Completed" && string.CompareOrdinal(ProfileActivity.DayOf(t.Timestamp), oldestKept) >= 0);
        Assert.Equal(expectedRecent, profile.Activity.DailyCounts["Order Completed"].Values.Sum());
    }
}

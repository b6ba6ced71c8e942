using Cdp.ProfileProjection.Profiles;
using Cdp.ProfileProjection.Publishing;
using Cdp.Testing;

namespace Cdp.ProfileProjection.Tests.Profiles;

public class CommittedProfilesTests
{
    private readonly ShiftableClock _clock = new();

    private static CustomerProfile Profile(string id, long version) => new() { Id = id, Version = version };

    [Fact]
    public void Given_a_profile_committed_at_a_version_when_the_publisher_asks_for_a_later_one_then_it_reads_the_store_instead()
    {
        var committed = new CommittedProfiles(_clock);
        committed.Add([Profile("a", 3)]);

        Assert.False(committed.TryTake("a", 4, out _));
        Assert.True(committed.TryTake("a", 3, out var taken));
        Assert.Equal(3, taken.Version);
        Assert.False(committed.TryTake("a", 3, out _));
    }

    [Fact]
    public void Given_a_newer_version_held_when_an_older_page_asks_then_it_gets_the_newer_one_and_the_next_page_still_finds_it()
    {
        var committed = new CommittedProfiles(_clock);
        committed.Add([Profile("a", 5)]);
        committed.Add([Profile("a", 4)]);

        Assert.True(committed.TryTake("a", 3, out var first));
        Assert.Equal(5, first.Version);
        Assert.True(committed.TryTake("a", 5, out _));
        Assert.Equal(0, committed.Count);
    }

    [Fact]
    public void Given_more_profiles_than_it_holds_when_added_then_the_oldest_are_dropped_and_it_stays_bounded()
    {
        var committed = new CommittedProfiles(_clock, capacity: 3);
        committed.Add([Profile("a", 1), Profile("b", 1), Profile("c", 1)]);
        Assert.True(committed.TryTake("a", 1, out _));
        committed.Add([Profile("a", 2), Profile("d", 1), Profile("e", 1)]);

        Assert.Equal(3, committed.Count);
        Assert.False(committed.TryTake("b", 1, out _));
        Assert.False(committed.TryTake("c", 1, out _));
        Assert.True(committed.TryTake("a", 2, out _));

        for (var i = 0; i < 10_000; i++) committed.Add([Profile($"x{i}", 1)]);
        Assert.Equal(3, committed.Count);
        Assert.True(committed.TryTake("x9999", 1, out _));
    }

    [Fact]
    public void Given_no_publisher_asked_for_longer_than_its_silence_when_profiles_are_added_then_none_are_kept_until_it_asks_again()
    {
        var committed = new CommittedProfiles(_clock);
        committed.Add([Profile("a", 1)]);

        _clock.Advance(CommittedProfiles.PublisherSilence + TimeSpan.FromSeconds(1));
        committed.Add([Profile("b", 1)]);
        Assert.Equal(0, committed.Count);
        Assert.False(committed.TryTake("b", 1, out _));

        committed.Add([Profile("c", 1)]);
        Assert.True(committed.TryTake("c", 1, out _));
    }
}

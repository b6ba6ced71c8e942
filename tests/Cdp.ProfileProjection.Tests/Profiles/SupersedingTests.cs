using Cdp.Contracts;
using Cdp.Contracts.Identity;
using Cdp.Testing;

namespace Cdp.ProfileProjection.Tests.Profiles;

/// Identity rules applied again: a superseded profile points to its successor, its events arrive re-attributed
/// once, and what was still in flight the old way (an event, a merge) is not counted a second time.
public class SupersedingTests(ProfileFixture fixture) : IClassFixture<ProfileFixture>
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.UtcNow.AddHours(-1);

    [Fact]
    public async Task Given_a_superseded_profile_when_old_and_re_attributed_deliveries_race_then_each_event_is_counted_once_on_its_new_profile()
    {
        var old = "p" + Guid.NewGuid().ToString("N");
        var laptop = "p" + Guid.NewGuid().ToString("N");
        var tablet = "p" + Guid.NewGuid().ToString("N");
        var other = "p" + Guid.NewGuid().ToString("N");
        var run = "re-resolve-" + Guid.NewGuid().ToString("N")[..6];
        var viewed = Events.Collected(type: "track", userId: "l-" + old, eventName: "Viewed", timestamp: T0);
        var signedUp = Events.Collected(type: "identify", userId: "t-" + old, traits: """{"plan":"pro"}""", timestamp: T0.AddMinutes(1));
        var late = Events.Collected(type: "track", userId: "t-" + old, eventName: "Clicked", timestamp: T0.AddMinutes(2));
        await fixture.PublishAsync(new EventResolved(old, viewed, [new Identifier("user_id", "l-" + old)], []));
        await fixture.PublishAsync(new EventResolved(old, signedUp, [new Identifier("user_id", "t-" + old)], []));
        await fixture.PublishAsync(new EventResolved(other, Events.Collected(type: "track", userId: "o-" + other, eventName: "Viewed", timestamp: T0), [new Identifier("user_id", "o-" + other)], []));
        await Eventually.TrueAsync(async () => await fixture.ProfileAsync(old) is { } p && p.GetProperty("eventCount").GetInt32() == 2 && await fixture.ProfileAsync(other) is not null);

        await fixture.PublishAsync(new ProfileRetired(old, tablet, run, DateTimeOffset.UtcNow));
        // Activation hears that the old profile now lives on in its successor (and so leaves its audiences).
        var pointed = await fixture.Changes.WaitForAsync(d => d.Message.GetProperty("profileId").GetString() == old
            && d.Message.TryGetProperty("mergedInto", out var into) && into.GetString() == tablet);
        Assert.NotNull(pointed);
        // Still in flight from before the rules changed: an event for the old profile and a merge into it.
        await fixture.PublishAsync(new EventResolved(old, late, [new Identifier("user_id", "t-" + old)], []));
        await fixture.PublishAsync(new ProfilesMerged(old, other, Guid.NewGuid().ToString(), new Identifier("user_id", "o-" + other), DateTimeOffset.UtcNow));
        // The re-attributed copies, the late one included, delivered twice.
        foreach (var _ in new[] { 1, 2 })
        {
            await fixture.PublishAsync(new EventResolved(laptop, viewed, [new Identifier("user_id", "l-" + old)], [], run));
            await fixture.PublishAsync(new EventResolved(tablet, signedUp, [new Identifier("user_id", "t-" + old)], [], run));
            await fixture.PublishAsync(new EventResolved(tablet, late, [new Identifier("user_id", "t-" + old)], [], run));
        }
        await Eventually.TrueAsync(async () => await fixture.ProfileAsync(tablet) is { } p && p.GetProperty("eventCount").GetInt32() == 2, what: "the tablet's events");
        await fixture.Environment.WaitForQuietQueuesAsync();

        var tabletProfile = (await fixture.ProfileAsync(tablet))!.Value;
        Assert.Equal((tablet, 2, "pro"), (tabletProfile.GetProperty("id").GetString(), tabletProfile.GetProperty("eventCount").GetInt32(),
            tabletProfile.GetProperty("traits").GetProperty("plan").GetString()));
        var laptopProfile = (await fixture.ProfileAsync(laptop))!.Value;
        Assert.Equal(1, laptopProfile.GetProperty("eventCount").GetInt32());
        Assert.False(laptopProfile.GetProperty("traits").TryGetProperty("plan", out _));
        // The old id answers with its successor; the other profile was not merged into anything.
        Assert.Equal(tablet, (await fixture.ProfileAsync(old))!.Value.GetProperty("id").GetString());
        var otherProfile = (await fixture.ProfileAsync(other))!.Value;
        Assert.Equal((other, 1), (otherProfile.GetProperty("id").GetString(), otherProfile.GetProperty("eventCount").GetInt32()));
    }
}

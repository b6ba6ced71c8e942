using Cdp.IdentityResolution.Identities;
using Cdp.Testing;
using Marten;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Cdp.IdentityResolution.Tests.Identities.Resolving;

public sealed class IdentityFixture() : ServiceFixture<Program>("identity", "Cdp.Contracts.Identity:EventsResolved", probedEntries: "events")
{
    public BusProbe Resolved => Probe;
}

public class ResolvingTests(IdentityFixture fixture) : IClassFixture<IdentityFixture>
{
    [Fact]
    public async Task Given_an_anonymous_visit_then_a_login_when_resolved_then_both_land_on_one_profile()
    {
        var anonymous = Guid.NewGuid().ToString();
        var visit = Events.Collected(anonymousId: anonymous);
        var login = Events.Collected(userId: "u-" + anonymous, anonymousId: anonymous);

        await fixture.PublishAsync(visit);
        var first = await fixture.Resolved.WaitForAsync(d => d.Message.GetProperty("event").GetProperty("messageId").GetString() == visit.MessageId);
        await fixture.PublishAsync(login);
        var second = await fixture.Resolved.WaitForAsync(d => d.Message.GetProperty("event").GetProperty("messageId").GetString() == login.MessageId);

        Assert.Equal(first.Message.GetProperty("profileId").GetString(), second.Message.GetProperty("profileId").GetString());
        Assert.Equal(2, second.Message.GetProperty("identifiers").GetArrayLength());
    }

    [Fact]
    public async Task Given_the_same_event_delivered_twice_when_resolved_then_the_ingest_log_holds_it_once()
    {
        var e = Events.Collected(userId: "dup-" + Guid.NewGuid());

        await fixture.PublishAsync(e);
        await fixture.PublishAsync(e);
        await fixture.Resolved.WaitForAsync(d => d.Message.GetProperty("event").GetProperty("messageId").GetString() == e.MessageId);
        await fixture.Environment.WaitForQuietQueuesAsync();

        await using var session = fixture.Factory.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var attributed = (await session.Events.QueryRawEventDataOnly<EventAttributed>().ToListAsync())
            .Count(a => a.Event.MessageId == e.MessageId);
        Assert.Equal(1, attributed);
        Assert.Single(fixture.Resolved.Received, d => d.Message.GetProperty("event").GetProperty("messageId").GetString() == e.MessageId);
    }
}

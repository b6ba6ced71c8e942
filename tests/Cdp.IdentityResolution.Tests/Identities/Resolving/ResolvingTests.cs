using Cdp.IdentityResolution.Identities;
using Cdp.IdentityResolution.Identities.Resolving;
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

    // The resolution stores each profile it changed itself, beside one statement for all their streams' events: every
    // stored profile must be what Marten's projection folds from its stream, at its stream's version.
    [Fact]
    public async Task Given_a_batch_that_creates_links_and_merges_profiles_when_resolved_then_each_stored_profile_is_its_stream_folded()
    {
        var run = Guid.NewGuid().ToString("N");
        var resolution = fixture.Factory.Services.GetRequiredService<EventResolution>();
        await resolution.ResolveBatchAsync([
            new(Events.Collected(anonymousId: $"a-{run}"), null),
            new(Events.Collected(type: "identify", anonymousId: $"b-{run}", traits: $$"""{"email":"{{run}}@example.com"}"""), null),
        ], default);
        await resolution.ResolveBatchAsync([
            new(Events.Collected(userId: $"u-{run}", anonymousId: $"a-{run}"), null), // links a user id
            new(Events.Collected(type: "identify", userId: $"u-{run}", traits: $$"""{"email":"{{run}}@example.com"}"""), null), // merges the two
            new(Events.Collected(anonymousId: $"c-{run}"), null), // a new profile
        ], default);

        await using var session = fixture.Factory.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var stored = (await session.Query<IdentityProfile>().ToListAsync()).Where(p => p.Identifiers.Any(i => i.Value.Contains(run))).ToList();
        Assert.Equal(3, stored.Count);
        Assert.Single(stored, p => p.MergedInto is not null);
        foreach (var profile in stored)
        {
            var (_, revision, streamVersion) = await ProjectedDocuments.AssertStoredIsFoldedAsync<IdentityProfile>(session, profile.Id);
            Assert.Equal([profile.Version, profile.Version], [revision, streamVersion]);
        }
    }
}

using System.Text.Json;
using Cdp.Contracts;
using Cdp.ProfileProjection.Profiles;
using Cdp.ProfileProjection.Tests.Profiles;
using Cdp.ServiceDefaults.Persistence;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Cdp.ProfileProjection.Tests.Persistence;

public class ManyStreamAppendTests(ProfileFixture fixture) : IClassFixture<ProfileFixture>
{
    private IDocumentStore Store => fixture.Factory.Services.GetRequiredService<IDocumentStore>();

    private static Tracked Order(string profileId, string messageId) =>
        new(profileId, "Order Completed", JsonDocument.Parse("""{"revenue":12.5,"note":"ünïcode"}""").RootElement,
            new Provenance(messageId, "web", "first", DateTimeOffset.UtcNow, null), DateTimeOffset.UtcNow);

    private static string NewId() => "p" + Guid.NewGuid().ToString("N");

    // What the caller evolved; these tests look at the events, not at the profile stored with them.
    private static CustomerProfile Profile(string id, long version) => new() { Id = id, Version = version };

    [Fact]
    public async Task Given_a_new_and_an_existing_stream_when_appended_in_one_statement_then_Marten_reads_them_as_its_own_appends()
    {
        var (started, existing) = (NewId(), NewId());
        await using (var session = Store.LightweightSession())
        {
            session.Events.StartStream<CustomerProfile>(existing, Order(existing, "m0"));
            await session.SaveChangesAsync();
        }

        await using (var session = Store.LightweightSession())
        {
            session.AppendToStreams(
            [
                new StreamAppend<CustomerProfile>(started, 0, [Order(started, "m1"), Order(started, "m2")],
                    ["00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", null], Profile(started, 2)),
                new StreamAppend<CustomerProfile>(existing, 1, [Order(existing, "m3")], [null], Profile(existing, 2)),
            ], DateTimeOffset.UtcNow);
            await session.SaveChangesAsync();
        }

        await using var query = Store.QuerySession();
        var events = await query.Events.FetchStreamAsync(started);
        Assert.Equal([1L, 2L], events.Select(e => e.Version));
        Assert.Equal(["m1", "m2"], events.Select(e => Assert.IsType<Tracked>(e.Data).Provenance.MessageId));
        Assert.Equal("ünïcode", ((Tracked)events[0].Data).Properties!.Value.GetProperty("note").GetString());
        Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", events[0].GetHeader(EventTrace.HeaderName)?.ToString());
        Assert.Null(events[1].GetHeader(EventTrace.HeaderName));
        Assert.True(events[0].Sequence < events[1].Sequence);
        Assert.Equal(2, (await query.Events.FetchStreamStateAsync(started))!.Version);

        var appended = await query.Events.FetchStreamAsync(existing);
        Assert.Equal([("m0", 1L), ("m3", 2L)], appended.Select(e => (((Tracked)e.Data).Provenance.MessageId, e.Version)));
        Assert.Equal(2, (await query.Events.FetchStreamStateAsync(existing))!.Version);
    }

    [Theory]
    [InlineData(0)] // both start the stream
    [InlineData(1)] // both append after version 1
    public async Task Given_two_writers_that_read_the_same_version_when_both_append_then_the_second_loses_the_race(long versionRead)
    {
        var id = NewId();
        if (versionRead > 0)
        {
            await using var setup = Store.LightweightSession();
            setup.Events.StartStream<CustomerProfile>(id, Order(id, "m0"));
            await setup.SaveChangesAsync();
        }
        await using (var first = Store.LightweightSession())
        {
            first.AppendToStreams([new StreamAppend<CustomerProfile>(id, versionRead, [Order(id, "m1")], [null], Profile(id, versionRead + 1))], DateTimeOffset.UtcNow);
            await first.SaveChangesAsync();
        }

        await using var second = Store.LightweightSession();
        // Its profiles are stored under ids of their own, so that only the events' keys can tell the race.
        second.AppendToStreams([new StreamAppend<CustomerProfile>(NewId(), 0, [Order(id, "m2")], [null], Profile(NewId(), 1)),
            new StreamAppend<CustomerProfile>(id, versionRead, [Order(id, "m3")], [null], Profile(NewId(), versionRead + 1))], DateTimeOffset.UtcNow);
        var error = await Record.ExceptionAsync(() => second.SaveChangesAsync());

        Assert.NotNull(error);
        Assert.True(LostRace.Is(error), $"expected a lost race, got {error}");
        await using var query = Store.QuerySession();
        string[] kept = versionRead == 0 ? ["m1"] : ["m0", "m1"];
        Assert.Equal(kept, (await query.Events.FetchStreamAsync(id)).Select(e => ((Tracked)e.Data).Provenance.MessageId));
    }
}

using System.Text.Json;
using Cdp.Contracts;
using Cdp.ProfileProjection.Profiles;
using Cdp.ProfileProjection.Tests.Profiles;
using Cdp.ServiceDefaults.Persistence;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

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

    [Fact]
    public async Task Given_aggregates_appended_in_one_statement_then_each_is_stored_at_its_stream_version_with_its_duplicated_column()
    {
        var (first, second) = (NewId(), NewId());
        CustomerProfile Keyed(string id, long version, params string[] keys) => new() { Id = id, Version = version, IdentifierKeys = [.. keys] };
        await using (var session = Store.LightweightSession())
        {
            session.AppendToStreams(
            [
                new StreamAppend<CustomerProfile>(first, 0, [Order(first, "m1")], [null], Keyed(first, 1, $"email:{first}@example.com")),
                new StreamAppend<CustomerProfile>(second, 0, [Order(second, "m2"), Order(second, "m3")], [null, null], Keyed(second, 2, "user_id:u2")),
            ], DateTimeOffset.UtcNow);
            await session.SaveChangesAsync();
        }
        await using (var session = Store.LightweightSession())
        {
            // The second append rewrites the stored aggregate (the conflict path) and its duplicated column.
            session.AppendToStreams([new StreamAppend<CustomerProfile>(first, 1, [Order(first, "m4")], [null],
                Keyed(first, 2, $"email:{first}@example.com", "user_id:u1"))], DateTimeOffset.UtcNow);
            await session.SaveChangesAsync();
        }

        await using var query = Store.QuerySession();
        var stored = await query.LoadManyAsync<CustomerProfile>(first, second);
        Assert.Equal([(first, 2L), (second, 2L)], stored.OrderBy(p => p.Id == second).Select(p => (p.Id, p.Version)));
        // What the profile API's lookup by identifier reads: the duplicated column, through its GIN index.
        var found = await query.QueryAsync<CustomerProfile>("where identifier_keys @> ?", (object)new[] { "user_id:u1" });
        Assert.Equal([first], found.Select(p => p.Id));
        var revisions = await query.QueryAsync<long>($"select mt_version from {query.DocumentStore.Options.FindOrResolveDocumentType(typeof(CustomerProfile)).TableName.QualifiedName} where id = any(?) order by id = ?",
            new[] { first, second }, second);
        Assert.Equal([2L, 2L], revisions);
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

    [Fact]
    public async Task Given_a_log_Marten_started_when_appended_in_one_statement_then_its_events_follow_at_the_next_versions()
    {
        var log = "log-" + Guid.NewGuid().ToString("N");
        await using (var session = Store.LightweightSession())
        {
            session.Events.Append(log, Order("p1", "m0"));
            await session.SaveChangesAsync();
        }

        await using (var session = Store.LightweightSession())
        {
            session.AppendToLog(log, [Order("p1", "m1"), Order("p2", "m2")], [null, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"], DateTimeOffset.UtcNow);
            await session.SaveChangesAsync();
        }

        await using var query = Store.QuerySession();
        var events = await query.Events.FetchStreamAsync(log);
        Assert.Equal([("m0", 1L), ("m1", 2L), ("m2", 3L)], events.Select(e => (((Tracked)e.Data).Provenance.MessageId, e.Version)));
        Assert.Equal("ünïcode", ((Tracked)events[2].Data).Properties!.Value.GetProperty("note").GetString());
        Assert.Null(events[1].GetHeader(EventTrace.HeaderName));
        Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", events[2].GetHeader(EventTrace.HeaderName)?.ToString());
        Assert.True(events[1].Sequence < events[2].Sequence);
        Assert.Equal(3, (await query.Events.FetchStreamStateAsync(log))!.Version);
    }

    [Fact]
    public async Task Given_writers_at_once_when_each_appends_to_a_new_log_then_every_event_is_kept_at_a_version_of_its_own()
    {
        var log = "log-" + Guid.NewGuid().ToString("N");
        // Each writer waits on the stream's row (or its first insert) until the one before commits.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async w =>
        {
            await using var session = Store.LightweightSession();
            session.AppendToLog(log, [Order("p", $"w{w}-1"), Order("p", $"w{w}-2"), Order("p", $"w{w}-3")], [null, null, null], DateTimeOffset.UtcNow);
            await session.SaveChangesAsync();
        }));

        await using var query = Store.QuerySession();
        var events = await query.Events.FetchStreamAsync(log);
        // In the event sequence (what the daemons read) as in the stream: a writer takes its sequence numbers only once
        // the one before it has committed.
        Assert.Equal(Enumerable.Range(1, 24).Select(v => (long)v), events.OrderBy(e => e.Sequence).Select(e => e.Version));
        Assert.Equal(24, events.Select(e => ((Tracked)e.Data).Provenance.MessageId).Distinct().Count());
        // A writer's events stay together and in order.
        foreach (var writer in events.Chunk(3))
        {
            var ids = writer.Select(e => ((Tracked)e.Data).Provenance.MessageId).ToArray();
            Assert.Equal([ids[0][..^1] + "1", ids[0][..^1] + "2", ids[0][..^1] + "3"], ids);
        }
        Assert.Equal(24, (await query.Events.FetchStreamStateAsync(log))!.Version);
    }

    [Fact]
    public async Task Given_the_daemons_listen_when_events_are_appended_in_one_statement_then_the_commit_wakes_them()
    {
        await using var listener = await fixture.Factory.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();
        var woken = new List<string>();
        listener.Notification += (_, e) => woken.Add(e.Channel);
        await using (var listen = new NpgsqlCommand("listen mt_events_appended", listener)) await listen.ExecuteNonQueryAsync();
        // Whatever the service itself still appends goes by first.
        while (await listener.WaitAsync(TimeSpan.FromSeconds(1))) { }
        woken.Clear();

        var id = NewId();
        await using (var session = Store.LightweightSession())
        {
            session.AppendToStreams([new StreamAppend<CustomerProfile>(id, 0, [Order(id, "m1")], [null], Profile(id, 1))], DateTimeOffset.UtcNow);
            await session.SaveChangesAsync();
        }
        Assert.True(await listener.WaitAsync(TimeSpan.FromSeconds(10)), "no notification after AppendToStreams");

        while (await listener.WaitAsync(TimeSpan.FromSeconds(1))) { }
        woken.Clear();
        await using (var session = Store.LightweightSession())
        {
            session.AppendToLog("log-" + Guid.NewGuid().ToString("N"), [Order("p", "m2")], [null], DateTimeOffset.UtcNow);
            await session.SaveChangesAsync();
        }
        Assert.True(await listener.WaitAsync(TimeSpan.FromSeconds(10)), "no notification after AppendToLog");
        Assert.Equal(["mt_events_appended"], woken);
    }
}

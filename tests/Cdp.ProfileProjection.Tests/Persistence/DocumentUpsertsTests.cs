using Cdp.ProfileProjection.Profiles;
using Cdp.ProfileProjection.Tests.Profiles;
using Cdp.ServiceDefaults.Persistence;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Cdp.ProfileProjection.Tests.Persistence;

/// StoreAtRevisions as ManyStreamAppend uses it: a group's profiles at their streams' versions in one statement.
public class DocumentUpsertsTests(ProfileFixture fixture) : IClassFixture<ProfileFixture>
{
    private IDocumentStore Store => fixture.Factory.Services.GetRequiredService<IDocumentStore>();

    private static string NewId() => "p" + Guid.NewGuid().ToString("N");

    private static CustomerProfile Keyed(string id, long version, params string[] keys) => new() { Id = id, Version = version, IdentifierKeys = [.. keys] };

    private async Task StoreAsync(Action<IDocumentSession> store)
    {
        await using var session = Store.LightweightSession();
        store(session);
        await session.SaveChangesAsync();
    }

    [Fact]
    public async Task Given_documents_stored_at_revisions_when_an_older_revision_comes_then_the_newer_stays_and_a_newer_one_replaces_it()
    {
        var (id, other) = (NewId(), NewId());
        await StoreAsync(s => s.StoreAtRevisions([id, other], [Keyed(id, 5, "user_id:five"), Keyed(other, 1, "user_id:one")], [5, 1]));

        await StoreAsync(s => s.StoreAtRevisions([id], [Keyed(id, 3, "user_id:three")], [3]));
        await using (var query = Store.QuerySession())
        {
            var kept = await query.LoadAsync<CustomerProfile>(id);
            Assert.Equal(5L, kept!.Version);
            Assert.Equal(["user_id:five"], kept.IdentifierKeys);
            Assert.Equal([id], (await query.QueryAsync<CustomerProfile>("where identifier_keys @> ?", (object)new[] { "user_id:five" })).Select(p => p.Id));
            Assert.Empty(await query.QueryAsync<CustomerProfile>("where identifier_keys @> ?", (object)new[] { "user_id:three" }));
        }

        await StoreAsync(s => s.StoreAtRevisions([id], [Keyed(id, 6, "user_id:six")], [6]));
        await using (var query = Store.QuerySession())
        {
            Assert.Equal(6L, (await query.LoadAsync<CustomerProfile>(id))!.Version);
            var table = Store.Options.FindOrResolveDocumentType(typeof(CustomerProfile)).TableName.QualifiedName;
            Assert.Equal([6L, 1L], await query.QueryAsync<long>($"select mt_version from {table} where id = any(?) order by id = ?", new[] { id, other }, other));
            Assert.Equal([id], (await query.QueryAsync<CustomerProfile>("where identifier_keys @> ?", (object)new[] { "user_id:six" })).Select(p => p.Id));
            Assert.Equal(1L, (await query.LoadAsync<CustomerProfile>(other))!.Version);
        }
    }

    [Fact]
    public async Task Given_a_profile_stored_with_numeric_revisions_when_stored_all_without_them_then_the_error_names_the_call_to_use()
    {
        await using var session = Store.LightweightSession();
        var error = Assert.Throws<InvalidOperationException>(() => session.StoreAll([Keyed(NewId(), 1)], p => p.Id));
        Assert.Contains("store it with StoreAtRevisions", error.Message);
    }

    [Fact]
    public async Task Given_fewer_documents_than_ids_when_stored_at_revisions_then_the_error_says_so_before_anything_is_sent()
    {
        await using var session = Store.LightweightSession();
        var (id, other) = (NewId(), NewId());
        var error = Assert.Throws<ArgumentException>(() => session.StoreAtRevisions([id, other], [Keyed(id, 1)], [1, 1]));
        Assert.Contains("2 ids, 1 documents, 2 revisions", error.Message);
    }
}

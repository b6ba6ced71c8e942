using Cdp.Activation.Profiles;
using Cdp.ServiceDefaults.Persistence;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Cdp.Activation.Tests.Persistence;

/// StoreAll as the activation's recording uses it: a group's profile states in one statement.
public class DocumentUpsertsTests(ActivationFixture fixture) : IClassFixture<ActivationFixture>
{
    private IDocumentStore Store => fixture.Factory.Services.GetRequiredService<IDocumentStore>();

    private static ProfileState State(string id, long version, DateTimeOffset? dueAt) =>
        new(id, version, Changes.Profile(id, version, "{}").Snapshot, $"m{version}", DateTimeOffset.UtcNow, DueAt: dueAt);

    private string Table => Store.Options.FindOrResolveDocumentType(typeof(ProfileState)).TableName.QualifiedName;

    private async Task<string> StoredVersionAsync(string id)
    {
        await using var query = Store.QuerySession();
        return (await query.QueryAsync<string>($"select mt_version::text from {Table} where id = ?", id)).Single();
    }

    [Fact]
    public async Task Given_states_stored_all_at_once_when_one_is_stored_again_then_the_last_write_wins_with_its_due_time_and_a_new_version()
    {
        var (id, other) = (Changes.NewProfileId(), Changes.NewProfileId());
        var due = new DateTimeOffset(2001, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await using (var session = Store.LightweightSession())
        {
            session.StoreAll([State(id, 4, null), State(other, 9, due)], s => s.Id);
            await session.SaveChangesAsync();
        }
        var firstVersion = await StoredVersionAsync(id);

        // As Marten's Store: whatever it is given is written, an older state included.
        await using (var session = Store.LightweightSession())
        {
            session.StoreAll([State(id, 2, due.AddDays(1))], s => s.Id);
            await session.SaveChangesAsync();
        }

        await using var query = Store.QuerySession();
        var stored = await query.LoadManyAsync<ProfileState>(id, other);
        Assert.Equal([(id, 2L, "m2"), (other, 9L, "m9")], stored.OrderBy(s => s.Id == other).Select(s => (s.Id, s.Version, s.MessageId)));
        // The duplicated column the clock's sweep filters on.
        var dueAt = await query.QueryAsync<DateTimeOffset>($"select due_at from {Table} where id = any(?) order by id = ?", new[] { id, other }, other);
        Assert.Equal([due.AddDays(1), due], dueAt);
        Assert.NotEqual(firstVersion, await StoredVersionAsync(id));
    }

    [Fact]
    public async Task Given_a_state_without_numeric_revisions_when_stored_at_a_revision_then_the_error_names_the_call_to_use()
    {
        await using var session = Store.LightweightSession();
        var id = Changes.NewProfileId();
        var error = Assert.Throws<InvalidOperationException>(() => session.StoreAtRevisions([id], [State(id, 1, null)], [1]));
        Assert.Contains("store it with StoreAll", error.Message);
    }
}

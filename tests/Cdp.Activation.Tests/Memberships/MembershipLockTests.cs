using Cdp.Activation.Memberships;
using Cdp.Activation.Profiles;
using Cdp.Testing;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Cdp.Activation.Tests.Memberships;

public class MembershipLockTests(ActivationFixture fixture) : IClassFixture<ActivationFixture>
{
    // The profile state is stored without a version check: only the lock, and reading after it, keep an older change from
    // overwriting a newer state another writer is committing.
    [Fact]
    public async Task Given_a_sweep_holding_a_profile_when_an_older_change_arrives_then_it_waits_and_sees_what_the_sweep_committed()
    {
        var recording = fixture.Factory.Services.GetRequiredService<MembershipRecording>();
        var store = fixture.Factory.Services.GetRequiredService<IDocumentStore>();
        var id = Changes.NewProfileId();
        await recording.RecordAsync([Changes.Profile(id, 1, """{"plan":"free"}""")], CancellationToken.None);
        var newer = Changes.Profile(id, 5, """{"plan":"pro"}""");
        using var holding = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();

        // A sweep page of this one profile (ids sort after any prefix of theirs) that commits version 5 while holding its lock.
        var sweep = Task.Run(() => recording.SweepPageAsync([], id[..^1], pageSize: 1, "test", dueBy: null, (session, _, _) =>
        {
            session.Store(new ProfileState(id, newer.Version, newer.Snapshot, newer.MessageId, DateTimeOffset.UtcNow));
            holding.Set();
            release.Wait(TimeSpan.FromSeconds(60));
        }, CancellationToken.None));
        Assert.True(holding.Wait(TimeSpan.FromSeconds(30)), "the sweep did not reach its commit");
        var older = recording.RecordAsync([Changes.Profile(id, 3, """{"plan":"free"}""")], CancellationToken.None);
        await Eventually.TrueAsync(() => WaitingForAdvisoryLocksAsync(), TimeSpan.FromSeconds(30), "the change waiting for the sweep's lock");
        release.Set();
        await sweep;
        await older;

        await using var query = store.QuerySession();
        Assert.Equal(5, (await query.LoadAsync<ProfileState>(id))!.Version);
    }

    private async Task<bool> WaitingForAdvisoryLocksAsync()
    {
        await using var db = NpgsqlDataSource.Create(fixture.Environment.Postgres);
        await using var command = db.CreateCommand(
            "select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and wait_event = 'advisory'");
        return (long)(await command.ExecuteScalarAsync())! > 0;
    }
}

using Cdp.ServiceDefaults.Persistence;
using Cdp.Testing;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Cdp.ProfileProjection.Tests.Profiles;

/// The processed-message markers live in their own table (ProcessedMessageTable); this checks, against the
/// service's real schema, that a batch's markers are recorded, recognised, and deleted only once past retention.
public class ProcessedMessageRetentionTests(ProfileFixture fixture) : IClassFixture<ProfileFixture>
{
    [Fact]
    public async Task Given_markers_older_and_newer_than_the_retention_when_retention_runs_then_only_the_old_ones_are_deleted()
    {
        var store = fixture.Factory.Services.GetRequiredService<IDocumentStore>();
        var now = DateTimeOffset.UtcNow;
        var old = Enumerable.Range(0, 3).Select(i => $"test:old-{Guid.NewGuid()}").ToList();
        var recent = Enumerable.Range(0, 2).Select(i => $"test:recent-{Guid.NewGuid()}").ToList();
        await using (var session = store.LightweightSession())
        {
            session.MarkProcessed(old, now - TimeSpan.FromDays(8));
            session.MarkProcessed(recent, now - TimeSpan.FromDays(6));
            await session.SaveChangesAsync();
        }
        await using (var query = store.QuerySession())
        {
            Assert.Equal(old.Concat(recent).Order(), (await query.ProcessedAmongAsync([.. old, .. recent, "test:never"], default)).Order());
        }

        var retention = new ProcessedMessageRetention(store, Options.Create(new PersistenceOptions { ProcessedMessageRetention = TimeSpan.FromDays(7) }),
            TimeProvider.System, NullLogger<ProcessedMessageRetention>.Instance);
        await retention.StartAsync(default);
        await Eventually.TrueAsync(async () =>
        {
            await using var query = store.QuerySession();
            return (await query.ProcessedAmongAsync(old, default)).Count == 0;
        });
        await retention.StopAsync(default);

        await using (var query = store.QuerySession())
        {
            Assert.Equal(recent.Order(), (await query.ProcessedAmongAsync([.. old, .. recent], default)).Order());
        }
    }

    [Fact]
    public async Task Given_a_marker_already_recorded_when_another_transaction_records_it_then_that_transaction_loses_the_race()
    {
        var store = fixture.Factory.Services.GetRequiredService<IDocumentStore>();
        var marker = $"test:{Guid.NewGuid()}";
        await using (var first = store.LightweightSession())
        {
            first.MarkProcessed([marker], DateTimeOffset.UtcNow);
            await first.SaveChangesAsync();
        }
        await using var second = store.LightweightSession();
        second.MarkProcessed([marker, $"test:{Guid.NewGuid()}"], DateTimeOffset.UtcNow);
        var error = await Record.ExceptionAsync(() => second.SaveChangesAsync());
        Assert.NotNull(error);
        Assert.True(LostRace.Is(error), $"expected a lost race, got {error}");
    }
}

using System.Diagnostics;
using System.Text.Json;
using Cdp.Contracts;
using Cdp.Contracts.Collector;
using Cdp.Contracts.Identity;
using MassTransit;
using Npgsql;
using Spectre.Console;

namespace Cdp.Benchmarks;

/// Resolved "Order Completed" events over a set of profiles, as IdentityResolution would publish them to ProfileProjection.
public static class ResolvedEventLoad
{
    /// Publishes <paramref name="count"/> events for profiles named <paramref name="prefix"/> and a number, and waits (up to
    /// 10 minutes) until the profile store holds them; returns how many of them it holds.
    public static async Task<long> RecordAsync(IBus bus, NpgsqlDataSource db, int count, int profileCount, int seed, CancellationToken ct,
        string prefix = "p")
    {
        var random = new Random(seed);
        var before = await CountAsync(db, ct);
        var clock = Stopwatch.StartNew();
        long recorded = 0;
        await AnsiConsole.Progress().StartAsync(async progress =>
        {
            // As IdentityResolution publishes: several events to a message (EventsResolved).
            var publishing = progress.AddTask("publishing EventsResolved", maxValue: count);
            for (var sent = 0; sent < count; sent += 500)
            {
                var chunk = Enumerable.Range(sent, Math.Min(500, count - sent)).Select(i => Create(i, profileCount, random, prefix));
                await Task.WhenAll(chunk.Chunk(50).Select(page => bus.Publish(new EventsResolved(page), ct)));
                publishing.Increment(Math.Min(500, count - sent));
            }
            var recording = progress.AddTask("recorded in the event store", maxValue: count);
            while (recorded < count && clock.Elapsed < TimeSpan.FromMinutes(10))
            {
                recorded = await CountAsync(db, ct) - before;
                recording.Value = recorded;
                // The count scans the event table: four scans a second took 3 s of PostgreSQL's time in a 16 s run
                // (pg_stat_statements). Once a second until the end is near, then often enough to time it closely.
                await Task.Delay(recorded < count * 0.9 ? 1000 : 100, ct);
            }
        });
        return recorded;
    }

    private static async Task<long> CountAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var command = db.CreateCommand("select count(*) from profiles.mt_events where type = 'tracked'");
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    public static EventResolved Create(int index, int profileCount, Random random, string prefix = "p")
    {
        var profileId = $"{prefix}{random.Next(profileCount):D6}";
        var now = DateTimeOffset.UtcNow;
        var message = JsonSerializer.SerializeToElement(new
        {
            type = "track", userId = profileId, @event = "Order Completed", properties = new { revenue = 19.90, sku = $"sku-{index % 50}" },
        });
        return new EventResolved(profileId, new EventCollected(Guid.NewGuid().ToString(), "track", profileId, null, "Order Completed", now, now,
            "bench", "first", message), [new Identifier("user_id", profileId)], []);
    }
}

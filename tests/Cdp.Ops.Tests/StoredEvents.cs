using System.Net;
using Cdp.Testing;
using Npgsql;

namespace Cdp.Ops.Tests;

/// Sends Tracking API calls and waits until the customer event store holds them.
public static class StoredEvents
{
    public static async Task SendAsync(this OpsPlatform ops, string path, string json)
    {
        var response = await ops.Platform.CollectAsync(path, json);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// Waits until the profile store holds <paramref name="count"/> customer events whose message id starts with <paramref name="prefix"/>.
    public static async Task WaitStoredAsync(this OpsPlatform ops, string prefix, int count)
    {
        await using var db = NpgsqlDataSource.Create(ops.Platform.Environment.Postgres);
        // The operator tests share one platform fixture, which has no test output to report into on dispose: a timeout
        // says what the services logged and which queues hold messages.
        await Eventually.TrueAsync(async () =>
        {
            await using var command = db.CreateCommand("select count(*) from profiles.mt_events where data->'Provenance'->>'MessageId' like $1");
            command.Parameters.Add(new NpgsqlParameter { Value = prefix + "%" });
            return (long)(await command.ExecuteScalarAsync())! == count;
        }, TimeSpan.FromSeconds(60), $"{count} events with message ids {prefix}* in the profile store", ops.Platform.DiagnosisAsync);
        // Replay reads up to the store's high-water mark, which the daemon moves shortly after each append.
        await Eventually.TrueAsync(async () =>
        {
            await using var command = db.CreateCommand("""
                select coalesce((select last_seq_id from profiles.mt_event_progression where name = 'HighWaterMark'), 0)
                       >= (select max(seq_id) from profiles.mt_events)
                """);
            return (bool)(await command.ExecuteScalarAsync())!;
        }, TimeSpan.FromSeconds(60), "the profile store's high-water mark to reach its last event", ops.Platform.DiagnosisAsync);
    }
}

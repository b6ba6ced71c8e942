using Npgsql;

namespace Cdp.Benchmarks;

/// Per stage of the pipeline, for the events whose message ids match: how many each store holds, at what rate they
/// were appended (first to last append), and the latency from the Collector's acceptance (ReceivedAt) to the append.
public static class StageLatencies
{
    public sealed record Stage(string Name, long Events, double EventsPerSecond, double P50Ms, double P95Ms, double P99Ms);

    /// The stage every accepted event reaches last (what the pipeline's end-to-end rate counts).
    public const string ProfileCommitted = "profile committed (profile store)";

    /// Events accepted before <paramref name="since"/> (a warm-up) are left out.
    public static async Task<IReadOnlyList<Stage>> MeasureAsync(string postgres, string messageIdLike, string messageIdNotLike, CancellationToken ct,
        DateTimeOffset? since = null)
    {
        await using var db = NpgsqlDataSource.Create(postgres);
        return
        [
            await StageAsync(db, "resolved (identity store)", "identity", "event_attributed", "data->'Event'", messageIdLike, messageIdNotLike, since, ct),
            // Every customer event the profile store records carries its provenance; merges and pointers do not.
            await StageAsync(db, ProfileCommitted, "profiles", null, "data->'Provenance'", messageIdLike, messageIdNotLike, since, ct),
            await AudienceDecidedAsync(db, messageIdLike, messageIdNotLike, since, ct),
        ];
    }

    /// Activation's commit of the first membership change each message caused (as the subscriber counts the first
    /// change it receives): the membership events carry the message id, and the profile store's events its acceptance.
    /// What lies between this and the change on the subscriber's queue is the publishing subscription's.
    private static async Task<Stage> AudienceDecidedAsync(NpgsqlDataSource db, string like, string notLike, DateTimeOffset? since, CancellationToken ct)
    {
        await using var command = db.CreateCommand("""
            with decided as (
                select data->>'CausedBy' as message_id, min(timestamp) as at
                from activation.mt_events
                where type in ('audience_entered', 'audience_exited') and data->>'CausedBy' like $1 and data->>'CausedBy' not like $2
                group by 1
            ), accepted as (
                select distinct on (data->'Provenance'->>'MessageId') data->'Provenance'->>'MessageId' as message_id,
                       (data->'Provenance'->>'ReceivedAt')::timestamptz as received_at
                from profiles.mt_events
                where data->'Provenance'->>'MessageId' like $1 and data->'Provenance'->>'MessageId' not like $2
            )
            select count(*),
                   coalesce(extract(epoch from max(d.at) - min(d.at)), 0),
                   percentile_cont(array[0.5, 0.95, 0.99]) within group (order by extract(epoch from d.at - a.received_at))
            from decided d join accepted a using (message_id)
            where a.received_at >= $3
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = like });
        command.Parameters.Add(new NpgsqlParameter { Value = notLike });
        command.Parameters.Add(new NpgsqlParameter { Value = since ?? DateTimeOffset.MinValue.AddYears(2000) });
        return await ReadStageAsync(command, "audience decided (activation store, a message's first change)", ct);
    }

    private static async Task<Stage> StageAsync(NpgsqlDataSource db, string name, string schema, string? type, string envelope, string like, string notLike,
        DateTimeOffset? since, CancellationToken ct)
    {
        await using var command = db.CreateCommand($"""
            select count(*),
                   coalesce(extract(epoch from max(timestamp) - min(timestamp)), 0),
                   percentile_cont(array[0.5, 0.95, 0.99]) within group (order by extract(epoch from timestamp - ({envelope}->>'ReceivedAt')::timestamptz))
            from {schema}.mt_events
            where ($1::text is null or type = $1) and {envelope}->>'MessageId' like $2 and {envelope}->>'MessageId' not like $3
              and ({envelope}->>'ReceivedAt')::timestamptz >= $4
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)type ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = like });
        command.Parameters.Add(new NpgsqlParameter { Value = notLike });
        command.Parameters.Add(new NpgsqlParameter { Value = since ?? DateTimeOffset.MinValue.AddYears(2000) });
        return await ReadStageAsync(command, name, ct);
    }

    private static async Task<Stage> ReadStageAsync(NpgsqlCommand command, string name, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var count = reader.GetInt64(0);
        var span = Convert.ToDouble(reader.GetValue(1));
        var percentiles = reader.IsDBNull(2) ? [0, 0, 0] : reader.GetFieldValue<double[]>(2);
        return new Stage(name, count, span > 0 ? Math.Round(count / span) : 0,
            Math.Round(percentiles[0] * 1000), Math.Round(percentiles[1] * 1000), Math.Round(percentiles[2] * 1000));
    }
}

using System.Text;
using Npgsql;

namespace Cdp.Ops.Replay;

/// Which stored customer events a replay takes, as SQL over the profile store's mt_events.
/// Times are when the event happened (its Timestamp), inclusive from, exclusive to.
/// Events of profiles superseded by an identity re-resolution are taken from the profiles they moved to.
public sealed record ReplayFilter(DateTimeOffset? From, DateTimeOffset? To, IReadOnlyList<string> Types, IReadOnlyList<string> EventNames,
    IReadOnlyList<string> Sources, string? Profile)
{
    /// Segment call types and the names their events are stored under.
    public static readonly IReadOnlyDictionary<string, string> StoredTypes = new Dictionary<string, string>
    {
        ["identify"] = "identified", ["track"] = "tracked", ["page"] = "page_viewed",
        ["screen"] = "screen_viewed", ["group"] = "group_joined", ["alias"] = "aliased",
    };

    public static ReplayFilter Create(DateTimeOffset? from, DateTimeOffset? to, IReadOnlyList<string> types, IReadOnlyList<string> eventNames,
        IReadOnlyList<string> sources, string? profile)
    {
        foreach (var type in types.Where(t => !StoredTypes.ContainsKey(t)))
        {
            throw new UsageException($"--type '{type}' is not a Segment call type; use {string.Join(", ", StoredTypes.Keys)}.");
        }
        if (from is { } f && to is { } t && t <= f) throw new UsageException($"--to ({t:O}) must be after --from ({f:O}).");
        return new ReplayFilter(from, to, [.. types.Distinct().Order()], [.. eventNames.Distinct().Order()], [.. sources.Distinct().Order()], profile);
    }

    /// A stable text of the filter, kept in the checkpoint so a resumed replay is the same replay.
    public string Describe()
    {
        var parts = new List<string>();
        if (From is { } f) parts.Add($"from {f.UtcDateTime:O}");
        if (To is { } t) parts.Add($"to {t.UtcDateTime:O}");
        if (Types.Count > 0) parts.Add($"type {string.Join(",", Types)}");
        if (EventNames.Count > 0) parts.Add($"event {string.Join(",", EventNames)}");
        if (Sources.Count > 0) parts.Add($"source {string.Join(",", Sources)}");
        if (Profile is not null) parts.Add($"profile {Profile}");
        return parts.Count == 0 ? "all customer events" : string.Join("; ", parts);
    }

    /// The WHERE clause (after "where") and its parameters; $1 and $2 are left for the sequence bounds.
    public (string Sql, List<NpgsqlParameter> Parameters) Where(string schema)
    {
        // A profile superseded by a re-resolution (and any merged into it) had its events re-attributed to new profiles,
        // where they are replayed: its own copies are left out so no event goes out twice.
        var sql = new StringBuilder($"""
            seq_id > $1 and seq_id <= $2 and type = any($3)
             and stream_id not in (with recursive superseded(id) as (select id from {schema}.mt_doc_customerprofile where data->>'RetiredBy' is not null
               union select d.id from {schema}.mt_doc_customerprofile d join superseded s on d.data->>'MergedInto' = s.id)
             select id from superseded)
            """);
        var parameters = new List<NpgsqlParameter>
        {
            new() { Value = (Types.Count > 0 ? Types : StoredTypes.Keys).Select(t => StoredTypes[t]).ToArray() },
        };
        string Next(object value)
        {
            parameters.Add(new NpgsqlParameter { Value = value });
            return $"${parameters.Count + 2}";
        }
        if (From is { } from) sql.Append($" and (data->>'Timestamp')::timestamptz >= {Next(from.UtcDateTime)}");
        if (To is { } to) sql.Append($" and (data->>'Timestamp')::timestamptz < {Next(to.UtcDateTime)}");
        if (EventNames.Count > 0) sql.Append($" and data->>'Event' = any({Next(EventNames.ToArray())})");
        if (Sources.Count > 0) sql.Append($" and data->'Provenance'->>'SourceId' = any({Next(Sources.ToArray())})");
        if (Profile is not null)
        {
            // The profile's own stream and the streams of every profile merged into it, at any depth.
            sql.Append($"""
                 and stream_id in (with recursive merged(id) as (select {Next(Profile)}::varchar
                   union select d.id from {schema}.mt_doc_customerprofile d join merged m on d.data->>'MergedInto' = m.id)
                 select id from merged)
                """);
        }
        return (sql.ToString(), parameters);
    }
}

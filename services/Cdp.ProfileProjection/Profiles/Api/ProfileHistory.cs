using System.Text.Json;
using JasperFx.Events;
using Marten;
using Marten.Events;

namespace Cdp.ProfileProjection.Profiles.Api;

/// Reads of a profile's history from the event store: timeline, the profile as of a past instant,
/// and the provenance of one trait. A profile's history includes the streams merged into it.
public static class ProfileHistory
{
    public static readonly IReadOnlyDictionary<string, Type> CustomerEventTypes = new Dictionary<string, Type>
    {
        ["identify"] = typeof(Identified), ["track"] = typeof(Tracked), ["page"] = typeof(PageViewed),
        ["screen"] = typeof(ScreenViewed), ["group"] = typeof(GroupJoined), ["alias"] = typeof(Aliased),
    };

    public sealed record TimelineEntry(long Sequence, string Type, string? Event, string? Name, DateTimeOffset Timestamp, DateTimeOffset ReceivedAt,
        string MessageId, string SourceId, string DataParty, JsonElement? Traits, JsonElement? Properties, string? GroupId, string StreamId);

    public sealed record TimelinePage(IReadOnlyList<TimelineEntry> Events, string? NextCursor);

    public sealed record TraitValue(JsonElement? Value, DateTimeOffset Timestamp, string SourceId, string DataParty, string MessageId);

    /// The profile's own stream and every stream merged into it, transitively.
    public static async Task<List<string>> StreamsAsync(IQuerySession session, string canonicalId, CancellationToken ct)
    {
        var streams = new List<string> { canonicalId };
        for (var i = 0; i < streams.Count && streams.Count < 1000; i++)
        {
            var merged = await session.Events.QueryRawEventDataOnly<ProfileMergedFrom>().Where(m => m.ProfileId == streams[i]).ToListAsync(ct);
            streams.AddRange(merged.Select(m => m.MergedId).Where(id => !streams.Contains(id)));
        }
        return streams;
    }

    public static async Task<TimelinePage> TimelineAsync(IQuerySession session, IReadOnlyList<string> streams, IReadOnlyList<Type> types,
        string? eventName, long? before, int limit, CancellationToken ct)
    {
        var entries = new List<TimelineEntry>();
        var cursor = before ?? long.MaxValue;
        while (entries.Count < limit)
        {
            var page = await session.Events.QueryAllRawEvents()
                .Where(e => streams.Contains(e.StreamKey!) && e.Sequence < cursor && e.EventTypesAre(types.ToArray()))
                .OrderByDescending(e => e.Sequence)
                .Take(Math.Max(limit * 2, 50))
                .ToListAsync(ct);
            if (page.Count == 0) return new TimelinePage(entries, null);
            foreach (var e in page)
            {
                cursor = e.Sequence;
                if (Entry(e) is not { } entry || (eventName is not null && entry.Event != eventName)) continue;
                entries.Add(entry);
                if (entries.Count == limit) return new TimelinePage(entries, cursor.ToString());
            }
        }
        return new TimelinePage(entries, cursor.ToString());
    }

    /// The profile as the platform knew it at <paramref name="asOf"/>: its stream replayed up to then,
    /// and if it had been merged by then, the survivor's instead.
    public static async Task<CustomerProfile?> AsOfAsync(IQuerySession session, string id, DateTimeOffset asOf,
        IReadOnlyList<ComputedTraitDefinition> computed, CancellationToken ct)
    {
        for (var hop = 0; hop < 10; hop++)
        {
            var events = await session.Events.FetchStreamAsync(id, timestamp: asOf, token: ct);
            if (events.Count == 0) return null;
            var profile = new CustomerProfile { Id = id };
            foreach (var e in events)
            {
                profile.Record(e.Data, computed);
                profile.Version = e.Version;
            }
            if (profile.MergedInto is null) return profile;
            id = profile.MergedInto;
        }
        return null;
    }

    public static async Task<IReadOnlyList<TraitValue>> TraitHistoryAsync(IQuerySession session, IReadOnlyList<string> streams, string key, CancellationToken ct)
    {
        var identified = await session.Events.QueryAllRawEvents()
            .Where(e => streams.Contains(e.StreamKey!) && e.EventTypesAre(typeof(Identified)))
            .ToListAsync(ct);
        return identified.Select(e => (Identified)e.Data)
            .Where(i => i.Traits is { ValueKind: JsonValueKind.Object } t && t.TryGetProperty(key, out _))
            .Select(i =>
            {
                var value = i.Traits!.Value.GetProperty(key);
                return new TraitValue(value.ValueKind == JsonValueKind.Null ? null : value, i.Timestamp, i.Provenance.SourceId, i.Provenance.DataParty,
                    i.Provenance.MessageId);
            })
            .OrderByDescending(v => v.Timestamp).ThenByDescending(v => v.MessageId, StringComparer.Ordinal)
            .ToList();
    }

    private static TimelineEntry? Entry(IEvent e) => e.Data switch
    {
        Identified i => new(e.Sequence, "identify", null, null, i.Timestamp, i.Provenance.ReceivedAt, i.Provenance.MessageId, i.Provenance.SourceId, i.Provenance.DataParty, i.Traits, null, null, e.StreamKey!),
        Tracked t => new(e.Sequence, "track", t.Event, null, t.Timestamp, t.Provenance.ReceivedAt, t.Provenance.MessageId, t.Provenance.SourceId, t.Provenance.DataParty, null, t.Properties, null, e.StreamKey!),
        PageViewed p => new(e.Sequence, "page", null, p.Name, p.Timestamp, p.Provenance.ReceivedAt, p.Provenance.MessageId, p.Provenance.SourceId, p.Provenance.DataParty, null, p.Properties, null, e.StreamKey!),
        ScreenViewed s => new(e.Sequence, "screen", null, s.Name, s.Timestamp, s.Provenance.ReceivedAt, s.Provenance.MessageId, s.Provenance.SourceId, s.Provenance.DataParty, null, s.Properties, null, e.StreamKey!),
        GroupJoined g => new(e.Sequence, "group", null, null, g.Timestamp, g.Provenance.ReceivedAt, g.Provenance.MessageId, g.Provenance.SourceId, g.Provenance.DataParty, g.Traits, null, g.GroupId, e.StreamKey!),
        Aliased a => new(e.Sequence, "alias", null, null, a.Timestamp, a.Provenance.ReceivedAt, a.Provenance.MessageId, a.Provenance.SourceId, a.Provenance.DataParty, null, null, null, e.StreamKey!),
        _ => null,
    };
}

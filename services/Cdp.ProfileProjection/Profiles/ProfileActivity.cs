using System.Text.Json;

namespace Cdp.ProfileProjection.Profiles;

/// What a person did, summarised so that any order of the same events gives the same result and the
/// size stays bounded: one entry per event name, daily counts for 90 days, capped lists.
public sealed class ProfileActivity
{
    public const int DailyWindowDays = 90;
    public const int MaxListed = 100;

    public Dictionary<string, EventActivity> Events { get; set; } = [];
    public long PageViews { get; set; }
    public long ScreenViews { get; set; }
    public List<string> Groups { get; set; } = [];
    public List<string> Sources { get; set; } = [];
    public List<string> DataParties { get; set; } = [];
    /// Event name → day (yyyy-MM-dd) → count, for the 90 days up to the latest event.
    public Dictionary<string, Dictionary<string, int>> DailyCounts { get; set; } = [];
    public Dictionary<string, ComputedValue> Computed { get; set; } = [];

    public void Track(string name, JsonElement? properties, Provenance provenance, DateTimeOffset timestamp, DateTimeOffset lastSeen,
        IReadOnlyList<ComputedTraitDefinition> computed)
    {
        Events[name] = Events.TryGetValue(name, out var e) ? e.With(1, timestamp) : new EventActivity(1, timestamp);
        CountDay(name, DayOf(timestamp), 1, lastSeen);
        foreach (var definition in computed.Where(c => c.Event == name))
        {
            var value = ComputedValue.Of(definition, properties, timestamp, provenance.MessageId);
            if (value is null) continue;
            Computed[definition.Name] = Computed.TryGetValue(definition.Name, out var current) ? current.Combine(value, definition.Aggregate) : value;
        }
    }

    public void Saw(Provenance provenance)
    {
        AddListed(Sources, provenance.SourceId);
        AddListed(DataParties, provenance.DataParty);
    }

    public void Joined(string groupId) => AddListed(Groups, groupId);

    public void Absorb(ProfileActivity other, DateTimeOffset lastSeen, IReadOnlyList<ComputedTraitDefinition> computed)
    {
        foreach (var (name, e) in other.Events)
        {
            Events[name] = Events.TryGetValue(name, out var mine) ? mine.With(e.Count, e.LastAt) : e;
        }
        PageViews += other.PageViews;
        ScreenViews += other.ScreenViews;
        foreach (var g in other.Groups) AddListed(Groups, g);
        foreach (var s in other.Sources) AddListed(Sources, s);
        foreach (var p in other.DataParties) AddListed(DataParties, p);
        foreach (var (name, days) in other.DailyCounts)
        {
            foreach (var (day, count) in days) CountDay(name, day, count, lastSeen);
        }
        foreach (var (name, value) in other.Computed)
        {
            var aggregate = computed.FirstOrDefault(c => c.Name == name)?.Aggregate ?? "last";
            Computed[name] = Computed.TryGetValue(name, out var mine) ? mine.Combine(value, aggregate) : value;
        }
        Prune(lastSeen);
    }

    public void Prune(DateTimeOffset lastSeen)
    {
        var oldest = DayOf(WindowStart(lastSeen));
        foreach (var days in DailyCounts.Values)
        {
            foreach (var day in days.Keys.Where(d => string.CompareOrdinal(d, oldest) < 0).ToList()) days.Remove(day);
        }
        foreach (var name in DailyCounts.Where(d => d.Value.Count == 0).Select(d => d.Key).ToList()) DailyCounts.Remove(name);
    }

    private void CountDay(string name, string day, int count, DateTimeOffset lastSeen)
    {
        if (string.CompareOrdinal(day, DayOf(WindowStart(lastSeen))) < 0) return;
        if (!DailyCounts.TryGetValue(name, out var days)) DailyCounts[name] = days = [];
        days[day] = days.GetValueOrDefault(day) + count;
    }

    private static void AddListed(List<string> list, string value)
    {
        if (list.Contains(value)) return;
        list.Add(value);
        list.Sort(StringComparer.Ordinal);
        if (list.Count > MaxListed) list.RemoveAt(list.Count - 1);
    }

    private static DateTimeOffset WindowStart(DateTimeOffset lastSeen) =>
        lastSeen > DateTimeOffset.MinValue.AddDays(DailyWindowDays) ? lastSeen.AddDays(-(DailyWindowDays - 1)) : DateTimeOffset.MinValue;

    public static string DayOf(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd");
}

public sealed record EventActivity(long Count, DateTimeOffset LastAt)
{
    public EventActivity With(long count, DateTimeOffset at) => new(Count + count, at > LastAt ? at : LastAt);
}

/// A computed trait's running value: Number for count/sum/min/max (decimal, so sums do not depend on
/// the order they are added in), Value for first/last; At and MessageId break ties the same way in any order.
public sealed record ComputedValue(decimal? Number, JsonElement? Value, DateTimeOffset At, string MessageId)
{
    public static ComputedValue? Of(ComputedTraitDefinition definition, JsonElement? properties, DateTimeOffset at, string messageId)
    {
        if (definition.Aggregate == "count") return new ComputedValue(1, null, at, messageId);
        if (properties is not { ValueKind: JsonValueKind.Object } p || definition.Property is null || !p.TryGetProperty(definition.Property, out var v)) return null;
        return definition.Aggregate switch
        {
            "first" or "last" => new ComputedValue(null, v.Clone(), at, messageId),
            _ => v.ValueKind == JsonValueKind.Number && v.TryGetDecimal(out var number) ? new ComputedValue(number, null, at, messageId) : null,
        };
    }

    public ComputedValue Combine(ComputedValue other, string aggregate)
    {
        var otherIsLater = other.At != At ? other.At > At : string.CompareOrdinal(other.MessageId, MessageId) > 0;
        var (earlier, later) = otherIsLater ? (this, other) : (other, this);
        return aggregate switch
        {
            "count" or "sum" => later with { Number = SaturatingAdd(Number ?? 0, other.Number ?? 0) },
            "min" => other.Number < Number ? other : other.Number > Number ? this : earlier,
            "max" => other.Number > Number ? other : other.Number < Number ? this : earlier,
            "first" => earlier,
            _ => later,
        };
    }

    // A sum past decimal's range stays at its limit instead of failing every later append to the profile.
    private static decimal SaturatingAdd(decimal a, decimal b)
    {
        try
        {
            return a + b;
        }
        catch (OverflowException)
        {
            return a > 0 ? decimal.MaxValue : decimal.MinValue;
        }
    }

    public JsonElement AsJson() => Value ?? JsonSerializer.SerializeToElement(Number);
}

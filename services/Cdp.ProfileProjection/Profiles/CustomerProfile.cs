using System.Text.Json;
using Cdp.Contracts;
using JasperFx.Events;
using Marten.Events.Aggregation;

namespace Cdp.ProfileProjection.Profiles;

/// The unified profile, projected inline from the profile's stream. Bounded in size whatever the
/// history: identity resolution caps identifiers, traits are one register per key.
public sealed class CustomerProfile
{
    public string Id { get; set; } = "";
    public long Version { get; set; }
    public Dictionary<string, List<string>> Identifiers { get; set; } = [];
    /// "type:value" of every identifier, for lookups through a GIN index.
    public List<string> IdentifierKeys { get; set; } = [];
    public Dictionary<string, TraitRegister> Traits { get; set; } = [];
    public long EventCount { get; set; }
    public DateTimeOffset? FirstSeen { get; set; }
    public DateTimeOffset? LastSeen { get; set; }
    /// Set once this profile was merged into another; reads and late events follow it.
    public string? MergedInto { get; set; }

    public void Record(object data)
    {
        switch (data)
        {
            case IdentifiersLinked linked:
                foreach (var identifier in linked.Identifiers) Link(identifier);
                break;
            case Identified e:
                WriteTraits(e.Traits, e.Provenance, e.Timestamp);
                Seen(e.Timestamp);
                break;
            case Tracked e:
                Seen(e.Timestamp);
                break;
            case PageViewed e:
                Seen(e.Timestamp);
                break;
            case ScreenViewed e:
                Seen(e.Timestamp);
                break;
            case GroupJoined e:
                Seen(e.Timestamp);
                break;
            case Aliased e:
                Seen(e.Timestamp);
                break;
            case ProfileMergedFrom e:
                Absorb(e);
                break;
            case ProfileMergedInto e:
                MergedInto = e.SurvivorId;
                break;
        }
    }

    public bool Holds(Identifier identifier) => IdentifierKeys.Contains(identifier.ToString());

    private void Link(Identifier identifier)
    {
        if (Holds(identifier)) return;
        IdentifierKeys.Add(identifier.ToString());
        if (!Identifiers.TryGetValue(identifier.Type, out var values)) Identifiers[identifier.Type] = values = [];
        values.Add(identifier.Value);
    }

    // Each message id lives on exactly one profile's stream, so adding the merged counts counts nothing twice.
    private void Absorb(ProfileMergedFrom e)
    {
        foreach (var (key, register) in e.Traits)
        {
            if (!Traits.TryGetValue(key, out var current) || register.IsNewerThan(current)) Traits[key] = register;
        }
        foreach (var (type, values) in e.Identifiers)
        {
            foreach (var value in values) Link(new Identifier(type, value));
        }
        EventCount += e.EventCount;
        if (e.FirstSeen is { } first && (FirstSeen is null || first < FirstSeen)) FirstSeen = first;
        if (e.LastSeen is { } last && (LastSeen is null || last > LastSeen)) LastSeen = last;
    }

    private void Seen(DateTimeOffset timestamp)
    {
        EventCount++;
        if (FirstSeen is null || timestamp < FirstSeen) FirstSeen = timestamp;
        if (LastSeen is null || timestamp > LastSeen) LastSeen = timestamp;
    }

    private void WriteTraits(JsonElement? traits, Provenance provenance, DateTimeOffset timestamp)
    {
        if (traits is not { ValueKind: JsonValueKind.Object } values) return;
        foreach (var trait in values.EnumerateObject())
        {
            var register = new TraitRegister(trait.Value.ValueKind == JsonValueKind.Null ? null : trait.Value.Clone(),
                timestamp, provenance.MessageId, provenance.SourceId, provenance.DataParty);
            if (!Traits.TryGetValue(trait.Name, out var current) || register.IsNewerThan(current))
            {
                Traits[trait.Name] = register;
            }
        }
    }
}

/// Keeps CustomerProfile up to date in the same transaction as each append.
public sealed partial class CustomerProfileProjection : SingleStreamProjection<CustomerProfile, string>
{
    public override CustomerProfile? Evolve(CustomerProfile? snapshot, string id, IEvent e)
    {
        snapshot ??= new CustomerProfile { Id = id };
        snapshot.Record(e.Data);
        snapshot.Version = e.Version;
        return snapshot;
    }
}

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
    /// The re-resolution that superseded this profile (ProfileSuperseded), if one did.
    public string? RetiredBy { get; set; }
    public ProfileActivity Activity { get; set; } = new();

    public void Record(object data) => Record(data, []);

    public void Record(object data, IReadOnlyList<ComputedTraitDefinition> computed)
    {
        switch (data)
        {
            case IdentifiersLinked linked:
                foreach (var identifier in linked.Identifiers) Link(identifier);
                break;
            case Identified e:
                WriteTraits(e.Traits, e.Provenance, e.Timestamp);
                Seen(e.Timestamp, e.Provenance);
                break;
            case Tracked e:
                Seen(e.Timestamp, e.Provenance);
                Activity.Track(e.Event, e.Properties, e.Provenance, e.Timestamp, LastSeen!.Value, computed);
                break;
            case PageViewed e:
                Seen(e.Timestamp, e.Provenance);
                Activity.PageViews++;
                break;
            case ScreenViewed e:
                Seen(e.Timestamp, e.Provenance);
                Activity.ScreenViews++;
                break;
            case GroupJoined e:
                Seen(e.Timestamp, e.Provenance);
                Activity.Joined(e.GroupId);
                break;
            case Aliased e:
                Seen(e.Timestamp, e.Provenance);
                break;
            case ProfileMergedFrom e:
                Absorb(e, computed);
                break;
            case ProfileMergedInto e:
                MergedInto = e.SurvivorId;
                break;
            case ProfileSuperseded e:
                MergedInto = e.SucceededBy;
                RetiredBy = e.RunId;
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
    private void Absorb(ProfileMergedFrom e, IReadOnlyList<ComputedTraitDefinition> computed)
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
        if (e.Activity is not null && LastSeen is { } lastSeen) Activity.Absorb(e.Activity, lastSeen, computed);
    }

    private void Seen(DateTimeOffset timestamp, Provenance provenance)
    {
        foreach (var identifier in provenance.Linked ?? []) Link(identifier);
        EventCount++;
        if (FirstSeen is null || timestamp < FirstSeen) FirstSeen = timestamp;
        if (LastSeen is null || timestamp > LastSeen) LastSeen = timestamp;
        Activity.Saw(provenance);
        Activity.Prune(LastSeen.Value);
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

/// Keeps CustomerProfile up to date in the same transaction as each append Marten makes; the recording, which appends
/// in one statement of its own, applies the same Record to its profiles (ProfileRecording). Rebuilds fold with it.
public sealed partial class CustomerProfileProjection : SingleStreamProjection<CustomerProfile, string>
{
    /// What operators rebuild (`./cdp ops rebuild profiles`).
    public const string ProjectionName = "CustomerProfile";

    private readonly IReadOnlyList<ComputedTraitDefinition> _computed;

    public CustomerProfileProjection(IReadOnlyList<ComputedTraitDefinition> computed)
    {
        _computed = computed;
        Name = ProjectionName;
    }

    public CustomerProfileProjection() : this([])
    {
    }

    public override CustomerProfile? Evolve(CustomerProfile? snapshot, string id, IEvent e)
    {
        snapshot ??= new CustomerProfile { Id = id };
        snapshot.Record(e.Data, _computed);
        snapshot.Version = e.Version;
        return snapshot;
    }
}

using Cdp.Contracts;
using JasperFx.Events;
using Marten.Events.Aggregation;

namespace Cdp.IdentityResolution.Identities;

public sealed record HeldIdentifier(string Type, string Value, DateTimeOffset AddedAt)
{
    public Identifier Identifier => new(Type, Value);
}

/// The identity graph's view of one profile, projected inline from its identity stream. Bounded:
/// at most MaxIdentifiers identifiers; merges are counted, not listed.
public sealed class IdentityProfile
{
    public string Id { get; set; } = "";
    public long Version { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public string? MergedInto { get; set; }
    public int MergeCount { get; set; }
    public List<HeldIdentifier> Identifiers { get; set; } = [];

    public bool Holds(Identifier identifier) => Identifiers.Any(i => i.Type == identifier.Type && i.Value == identifier.Value);

    public void Record(object data)
    {
        switch (data)
        {
            case ProfileCreated e:
                CreatedAt = e.At;
                break;
            case IdentifierAdded e when !Holds(new Identifier(e.Type, e.Value)):
                Identifiers.Add(new HeldIdentifier(e.Type, e.Value, e.At));
                break;
            case ProfileMergedFrom e:
                foreach (var held in e.Identifiers.Where(h => !Holds(h.Identifier))) Identifiers.Add(held);
                MergeCount += 1 + e.MergedMergeCount;
                break;
            case ProfileMergedInto e:
                MergedInto = e.SurvivorId;
                break;
            case ProfileSuperseded e:
                MergedInto = e.SucceededBy;
                break;
            case IdentifiersReplaced e:
                Identifiers = [.. e.Identifiers];
                break;
        }
    }
}

/// Keeps IdentityProfile up to date with each append Marten makes; the resolution, which appends in one statement of its
/// own, stores the graph's profiles, which applied the same Record as each event was decided (EventResolution).
public sealed partial class IdentityProfileProjection : SingleStreamProjection<IdentityProfile, string>
{
    public override IdentityProfile? Evolve(IdentityProfile? snapshot, string id, IEvent e)
    {
        if (snapshot is null && e.Data is not ProfileCreated) return null;
        snapshot ??= new IdentityProfile { Id = id };
        snapshot.Record(e.Data);
        snapshot.Version = e.Version;
        return snapshot;
    }
}

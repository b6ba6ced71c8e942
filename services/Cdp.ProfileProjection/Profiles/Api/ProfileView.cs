using System.Text.Json;

namespace Cdp.ProfileProjection.Profiles.Api;

/// The profile as the API shows it: current trait values, and where each came from.
public sealed record ProfileView(
    string Id,
    long Version,
    IReadOnlyDictionary<string, List<string>> Identifiers,
    IReadOnlyDictionary<string, JsonElement> Traits,
    IReadOnlyDictionary<string, TraitSource> TraitSources,
    long EventCount,
    DateTimeOffset? FirstSeen,
    DateTimeOffset? LastSeen)
{
    public static ProfileView Of(CustomerProfile p)
    {
        var live = p.Traits.Where(t => !t.Value.IsCleared).ToList();
        return new ProfileView(p.Id, p.Version, p.Identifiers,
            live.ToDictionary(t => t.Key, t => t.Value.Value!.Value),
            live.ToDictionary(t => t.Key, t => new TraitSource(t.Value.UpdatedAt, t.Value.SourceId, t.Value.DataParty, t.Value.MessageId)),
            p.EventCount, p.FirstSeen, p.LastSeen);
    }
}

public sealed record TraitSource(DateTimeOffset UpdatedAt, string SourceId, string DataParty, string MessageId);

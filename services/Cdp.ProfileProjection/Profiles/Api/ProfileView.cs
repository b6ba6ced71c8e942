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
    DateTimeOffset? LastSeen,
    IReadOnlyDictionary<string, JsonElement> ComputedTraits,
    ActivityView Activity)
{
    public static ProfileView Of(CustomerProfile p)
    {
        var live = p.Traits.Where(t => !t.Value.IsCleared).ToList();
        return new ProfileView(p.Id, p.Version, p.Identifiers,
            live.ToDictionary(t => t.Key, t => t.Value.Value!.Value),
            live.ToDictionary(t => t.Key, t => new TraitSource(t.Value.UpdatedAt, t.Value.SourceId, t.Value.DataParty, t.Value.MessageId)),
            p.EventCount, p.FirstSeen, p.LastSeen,
            p.Activity.Computed.ToDictionary(c => c.Key, c => c.Value.AsJson()),
            new ActivityView(p.Activity.Events, p.Activity.PageViews, p.Activity.ScreenViews, p.Activity.Groups, p.Activity.Sources,
                p.Activity.DataParties, p.Activity.DailyCounts));
    }
}

public sealed record ActivityView(IReadOnlyDictionary<string, EventActivity> Events, long PageViews, long ScreenViews, IReadOnlyList<string> Groups,
    IReadOnlyList<string> Sources, IReadOnlyList<string> DataParties, IReadOnlyDictionary<string, Dictionary<string, int>> DailyCounts);

public sealed record TraitSource(DateTimeOffset UpdatedAt, string SourceId, string DataParty, string MessageId);

using System.Text.Json;
using Cdp.Activation.Audiences.Rules;
using JasperFx.Events;
using Marten.Events.Aggregation;

namespace Cdp.Activation.Audiences.Definitions;

/// An audience's current definition. Version is the definition stream's version: every change
/// bumps it, and a sweep (backfill) runs until it has evaluated everyone against that version.
public sealed class Audience
{
    public string Id { get; set; } = "";
    public string Key { get; set; } = "";
    public string Name { get; set; } = "";
    public JsonElement Rule { get; set; }
    public List<string> IncludeTraits { get; set; } = [];
    public long Version { get; set; }
    public bool Deleted { get; set; }
    public DateTimeOffset DefinedAt { get; set; }
    public DateTimeOffset ChangedAt { get; set; }

    public static string StreamId(string key) => $"audience/{key}";

    private AudienceRule? _parsed;

    /// The parsed rule; a deleted audience matches nobody.
    public AudienceRule ParsedRule() => _parsed ??= AudienceRuleParser.Parse(Rule);

    public bool Matches(Cdp.Contracts.Profiles.ProfileSnapshot profile, DateTimeOffset now) => !Deleted && ParsedRule().Matches(profile, now);

    public bool IsTimeDependent => !Deleted && ParsedRule().IsTimeDependent;

    /// When time alone could next change whether the profile matches (AudienceRule.NextChange); null for never.
    public DateTimeOffset? NextChange(Cdp.Contracts.Profiles.ProfileSnapshot profile, DateTimeOffset now) =>
        IsTimeDependent ? ParsedRule().NextChange(profile, now) : null;
}

public sealed partial class AudienceProjection : SingleStreamProjection<Audience, string>
{
    public const string ProjectionName = "Audience";

    public AudienceProjection()
    {
        Name = ProjectionName;
        IncludeType<AudienceDefined>();
        IncludeType<AudienceRuleChanged>();
        IncludeType<AudienceDeleted>();
    }

    public override Audience? Evolve(Audience? snapshot, string id, IEvent e)
    {
        snapshot ??= new Audience { Id = id };
        switch (e.Data)
        {
            case AudienceDefined d:
                (snapshot.Key, snapshot.Name, snapshot.Rule, snapshot.IncludeTraits) = (d.Key, d.Name, d.Rule, [.. d.IncludeTraits]);
                (snapshot.Deleted, snapshot.DefinedAt, snapshot.ChangedAt) = (false, d.At, d.At);
                break;
            case AudienceRuleChanged c:
                (snapshot.Name, snapshot.Rule, snapshot.IncludeTraits, snapshot.ChangedAt) = (c.Name, c.Rule, [.. c.IncludeTraits], c.At);
                break;
            case AudienceDeleted d:
                (snapshot.Deleted, snapshot.ChangedAt) = (true, d.At);
                break;
        }
        snapshot.Version = e.Version;
        return snapshot;
    }
}

using JasperFx.Events;
using Marten.Events.Aggregation;

namespace Cdp.Activation.Memberships;

/// The audiences a profile is in now: one entry per audience, so it is bounded by the number of audiences.
/// Its history is the stream itself.
public sealed class ProfileMemberships
{
    public string Id { get; set; } = "";
    public long Version { get; set; }
    public Dictionary<string, Membership> Audiences { get; set; } = [];

    /// What an entry or an exit changes: the projection evolves the document with it, and so does MembershipRecording,
    /// whose one-statement appends run no inline projection.
    public void Record(object data)
    {
        switch (data)
        {
            case AudienceEntered entered:
                Audiences[entered.AudienceKey] = new Membership(entered.At, entered.AudienceVersion, entered.ProfileVersion);
                break;
            case AudienceExited exited:
                Audiences.Remove(exited.AudienceKey);
                break;
        }
    }
}

public sealed record Membership(DateTimeOffset Since, long AudienceVersion, long ProfileVersion);

public sealed partial class ProfileMembershipsProjection : SingleStreamProjection<ProfileMemberships, string>
{
    public const string ProjectionName = "ProfileMemberships";

    public ProfileMembershipsProjection()
    {
        Name = ProjectionName;
        IncludeType<AudienceEntered>();
        IncludeType<AudienceExited>();
    }

    public override ProfileMemberships? Evolve(ProfileMemberships? snapshot, string id, IEvent e)
    {
        snapshot ??= new ProfileMemberships { Id = id };
        snapshot.Record(e.Data);
        snapshot.Version = e.Version;
        return snapshot;
    }
}

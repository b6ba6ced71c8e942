using JasperFx.Events;
using Marten.Events.Projections;

namespace Cdp.Activation.Memberships;

/// One current member of one audience: what the size, member list and CSV export read.
public sealed class AudienceMember
{
    public string Id { get; set; } = "";
    public string AudienceKey { get; set; } = "";
    public string ProfileId { get; set; } = "";
    public DateTimeOffset Since { get; set; }
    public long ProfileVersion { get; set; }

    public static string IdOf(string audienceKey, string profileId) => $"{audienceKey}/{profileId}";

    /// The member an entry creates; an exit's member is deleted. The projection and MembershipRecording's one-statement
    /// appends (which run no inline projection) both build it here.
    public static AudienceMember Of(AudienceEntered entered) => new()
    {
        Id = IdOf(entered.AudienceKey, entered.ProfileId), AudienceKey = entered.AudienceKey, ProfileId = entered.ProfileId, Since = entered.At,
        ProfileVersion = entered.ProfileVersion,
    };
}

/// Entering creates the member document, exiting deletes it.
public sealed partial class AudienceMemberProjection : MultiStreamProjection<AudienceMember, string>
{
    public const string ProjectionName = "AudienceMember";

    public AudienceMemberProjection()
    {
        Name = ProjectionName;
        Identity<AudienceEntered>(e => AudienceMember.IdOf(e.AudienceKey, e.ProfileId));
        Identity<AudienceExited>(e => AudienceMember.IdOf(e.AudienceKey, e.ProfileId));
    }

    public override AudienceMember? Evolve(AudienceMember? snapshot, string id, IEvent e) => e.Data switch
    {
        AudienceEntered entered => AudienceMember.Of(entered),
        AudienceExited => null,
        _ => snapshot,
    };
}

using Cdp.Contracts.Profiles;
using Cdp.ServiceDefaults.Messaging;
using MassTransit;

namespace Cdp.Activation.Profiles;

/// Consume a profile change sent alone (ProfileProjection sends ProfilesChanged): keep each profile's newest snapshot
/// and decide its audience memberships with the changes that arrive meanwhile, from either queue, in one transaction
/// (MembershipRecording, through the same GroupCommit); AudienceChangePublisher delivers the changes.
/// Versions only move forward, so a redelivered or late, older ProfileChanged changes nothing.
/// Its GroupCommit is held while an operator rebuilds the audiences (MaintenancePause).
public sealed class ProfileChangedConsumer(GroupCommit<ProfileChanged> recording) : IConsumer<ProfileChanged>
{
    public async Task Consume(ConsumeContext<ProfileChanged> context)
    {
        await recording.SubmitAsync([context.Message], context.CancellationToken, context.DeliveryOrder());
    }
}

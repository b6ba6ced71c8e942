using Cdp.Activation.Memberships;
using Cdp.Contracts.Profiles;
using Cdp.ServiceDefaults.Messaging;
using MassTransit;

namespace Cdp.Activation.Profiles;

/// Consume ProfilesChanged (what ProfileProjection publishes, several changes to a message) and decide memberships
/// for their changes, with those of the other messages that arrive meanwhile, in one batch (MembershipRecording,
/// through a GroupCommit). Its GroupCommit is held while an operator rebuilds the audiences (MaintenancePause).
public sealed class ProfilesChangedConsumer(GroupCommit<ProfileChanged> recording, ILogger<ProfilesChangedConsumer> logger)
    : IConsumer<ProfilesChanged>
{
    public async Task Consume(ConsumeContext<ProfilesChanged> context)
    {
        await PoisonIsolation.ConsumeEntriesAsync(context, context.Message.Changes, c => new ProfilesChanged([c]),
            changes => recording.SubmitAsync(changes, context.CancellationToken, context.DeliveryOrder()), logger);
    }
}

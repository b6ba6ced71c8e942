using Cdp.Activation.Memberships;
using Cdp.Contracts.Profiles;
using Cdp.ServiceDefaults.Maintenance;
using Cdp.ServiceDefaults.Messaging;
using MassTransit;

namespace Cdp.Activation.Profiles;

/// Consume ProfilesChanged (what ProfileProjection publishes, several changes to a message) and decide memberships
/// for their changes, with those of the other messages that arrive meanwhile, in one batch (MembershipRecording,
/// through a GroupCommit). Held while an operator rebuilds the audiences (MaintenancePause).
public sealed class ProfilesChangedConsumer(GroupCommit<ProfileChanged> recording, MaintenancePause pause, ILogger<ProfilesChangedConsumer> logger)
    : IConsumer<ProfilesChanged>
{
    public async Task Consume(ConsumeContext<ProfilesChanged> context)
    {
        using var _ = await pause.EnterAsync(context.CancellationToken);
        await PoisonIsolation.ConsumeEntriesAsync(context, context.Message.Changes, c => new ProfilesChanged([c]),
            changes => recording.SubmitAsync(changes, context.CancellationToken), logger);
    }
}

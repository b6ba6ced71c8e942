using Cdp.Activation.Memberships;
using Cdp.Contracts.Profiles;
using Cdp.ServiceDefaults.Maintenance;
using Cdp.ServiceDefaults.Messaging;
using MassTransit;

namespace Cdp.Activation.Profiles;

/// Consume a batch of ProfilesChanged (what ProfileProjection publishes, several changes to a message) and decide
/// memberships as ProfileChangedConsumer does for changes sent alone (MembershipRecording).
/// Held while an operator rebuilds the audiences (MaintenancePause).
public sealed class ProfilesChangedConsumer(MembershipRecording recording, MaintenancePause pause, ILogger<ProfilesChangedConsumer> logger)
    : IConsumer<Batch<ProfilesChanged>>
{
    public async Task Consume(ConsumeContext<Batch<ProfilesChanged>> context)
    {
        using var _ = await pause.EnterAsync(context.CancellationToken);
        await PoisonIsolation.ConsumeEntriesAsync(context, m => m.Message.Changes, c => new ProfilesChanged([c]),
            changes => recording.RecordAsync(changes, context.CancellationToken), logger);
    }
}

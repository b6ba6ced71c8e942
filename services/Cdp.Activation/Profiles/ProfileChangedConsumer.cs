using Cdp.Activation.Memberships;
using Cdp.Contracts.Profiles;
using Cdp.ServiceDefaults.Maintenance;
using Cdp.ServiceDefaults.Messaging;
using MassTransit;

namespace Cdp.Activation.Profiles;

/// Consume a batch of profile changes sent one to a message (ProfileProjection sends ProfilesChanged): keep each profile's newest snapshot and decide its audience
/// memberships in one transaction (MembershipRecording); AudienceChangePublisher delivers the changes.
/// Versions only move forward, so a redelivered or late, older ProfileChanged changes nothing.
/// Held while an operator rebuilds the audiences (MaintenancePause).
public sealed class ProfileChangedConsumer(MembershipRecording recording, MaintenancePause pause, ILogger<ProfileChangedConsumer> logger)
    : IConsumer<Batch<ProfileChanged>>
{
    public async Task Consume(ConsumeContext<Batch<ProfileChanged>> context)
    {
        using var _ = await pause.EnterAsync(context.CancellationToken);
        await PoisonIsolation.ConsumeAsync(context, messages => recording.RecordAsync([.. messages.Select(m => m.Message)], context.CancellationToken), logger);
    }
}

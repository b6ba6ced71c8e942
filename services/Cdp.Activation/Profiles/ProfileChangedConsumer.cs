using Cdp.Activation.Memberships;
using Cdp.Contracts.Profiles;
using Cdp.ServiceDefaults.Messaging;
using MassTransit;

namespace Cdp.Activation.Profiles;

/// Consume a batch of profile changes: keep each profile's newest snapshot and decide its audience
/// memberships in one transaction (MembershipRecording); AudienceChangePublisher delivers the changes.
/// Versions only move forward, so a redelivered or late, older ProfileChanged changes nothing.
public sealed class ProfileChangedConsumer(MembershipRecording recording, ILogger<ProfileChangedConsumer> logger) : IConsumer<Batch<ProfileChanged>>
{
    public Task Consume(ConsumeContext<Batch<ProfileChanged>> context) =>
        PoisonIsolation.ConsumeAsync(context, messages => recording.RecordAsync([.. messages.Select(m => m.Message)], context.CancellationToken), logger);
}

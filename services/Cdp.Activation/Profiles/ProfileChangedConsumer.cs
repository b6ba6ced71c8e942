using Cdp.Activation.Memberships;
using Cdp.Contracts.Profiles;
using MassTransit;

namespace Cdp.Activation.Profiles;

/// Consume a batch of profile changes: keep each profile's newest snapshot and decide its audience
/// memberships in one transaction (MembershipRecording); AudienceChangePublisher delivers the changes.
/// Versions only move forward, so a redelivered or late, older ProfileChanged changes nothing.
public sealed class ProfileChangedConsumer(MembershipRecording recording) : IConsumer<Batch<ProfileChanged>>
{
    public Task Consume(ConsumeContext<Batch<ProfileChanged>> context) =>
        recording.RecordAsync([.. context.Message.Select(m => m.Message)], context.CancellationToken);
}

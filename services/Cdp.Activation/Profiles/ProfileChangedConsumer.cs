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
    public async Task Consume(ConsumeContext<Batch<ProfileChanged>> context)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await PoisonIsolation.ConsumeAsync(context, messages => recording.RecordAsync([.. messages.Select(m => m.Message)], context.CancellationToken), logger);
        // Batch sizes and times show whether a stage is starved, saturated or waiting on the database.
        logger.LogDebug("ProfileChanged batch of {Count} in {Elapsed:N1} ms", context.Message.Length, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
}

using Cdp.Activation.Memberships;
using Cdp.Contracts.Profiles;
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
        await recording.RecordAsync([.. context.Message.Select(m => m.Message)], context.CancellationToken);
        // Batch sizes and times show whether a stage is starved, saturated or waiting on the database.
        logger.LogDebug("ProfileChanged batch of {Count} in {Elapsed:N1} ms", context.Message.Length, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
}

using Cdp.Contracts.Identity;
using Cdp.ServiceDefaults.Messaging;
using MassTransit;

namespace Cdp.ProfileProjection.Profiles.Recording;

/// Consume a batch of resolved events, append them to their profiles' streams with the
/// processed-message markers in one transaction (ProfileRecording); ProfilePublisher publishes.
public sealed class EventResolvedConsumer(ProfileRecording recording, ILogger<EventResolvedConsumer> logger) : IConsumer<Batch<EventResolved>>
{
    public async Task Consume(ConsumeContext<Batch<EventResolved>> context)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await PoisonIsolation.ConsumeAsync(context, messages => recording.RecordAsync(
            [.. messages.Select(m => new ProfileRecording.Resolved(m.Message, m.Headers.Get<string>("MT-Activity-Id")))],
            context.CancellationToken), logger);
        // Batch sizes and times show whether a stage is starved, saturated or waiting on the database.
        logger.LogDebug("EventResolved batch of {Count} in {Elapsed:N1} ms", context.Message.Length, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
}

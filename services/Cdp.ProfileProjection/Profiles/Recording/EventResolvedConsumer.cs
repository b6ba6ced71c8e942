using Cdp.Contracts.Identity;
using Cdp.ServiceDefaults.Maintenance;
using Cdp.ServiceDefaults.Messaging;
using Cdp.ServiceDefaults.Telemetry;
using MassTransit;

namespace Cdp.ProfileProjection.Profiles.Recording;

/// Consume a batch of resolved events sent one to a message (IdentityResolution sends EventsResolved), append them to their profiles' streams with the
/// processed-message markers in one transaction (ProfileRecording); ProfilePublisher publishes.
/// Held while an operator rebuilds the profiles (MaintenancePause).
public sealed class EventResolvedConsumer(ProfileRecording recording, MaintenancePause pause, ILogger<EventResolvedConsumer> logger)
    : IConsumer<Batch<EventResolved>>
{
    public async Task Consume(ConsumeContext<Batch<EventResolved>> context)
    {
        using var _ = await pause.EnterAsync(context.CancellationToken);
        await PoisonIsolation.ConsumeAsync(context, messages => recording.RecordAsync(
            [.. messages.Select(m => m.Message with { TraceParent = m.Message.TraceParent ?? m.TraceParent() })],
            context.CancellationToken), logger);
    }
}

using Cdp.Contracts.Identity;
using Cdp.ServiceDefaults.Maintenance;
using Cdp.ServiceDefaults.Messaging;
using MassTransit;

namespace Cdp.ProfileProjection.Profiles.Recording;

/// Consume a batch of EventsResolved (what IdentityResolution publishes, several events to a message) and record
/// their events as EventResolvedConsumer does for events sent alone (ProfileRecording).
/// Held while an operator rebuilds the profiles (MaintenancePause).
public sealed class EventsResolvedConsumer(ProfileRecording recording, MaintenancePause pause, ILogger<EventsResolvedConsumer> logger)
    : IConsumer<Batch<EventsResolved>>
{
    public async Task Consume(ConsumeContext<Batch<EventsResolved>> context)
    {
        using var _ = await pause.EnterAsync(context.CancellationToken);
        await PoisonIsolation.ConsumeEntriesAsync(context, m => m.Message.Events, e => new EventsResolved([e]),
            events => recording.RecordAsync(events, context.CancellationToken), logger);
    }
}

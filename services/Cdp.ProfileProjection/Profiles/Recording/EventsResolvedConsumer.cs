using Cdp.Contracts.Identity;
using Cdp.ServiceDefaults.Messaging;
using MassTransit;

namespace Cdp.ProfileProjection.Profiles.Recording;

/// Consume EventsResolved (what IdentityResolution publishes, several events to a message) and record their events,
/// with those of the other messages that arrive meanwhile, in one batch (ProfileRecording, through a GroupCommit).
/// Its GroupCommit is held while an operator rebuilds the profiles (MaintenancePause).
public sealed class EventsResolvedConsumer(GroupCommit<EventResolved> recording, ILogger<EventsResolvedConsumer> logger)
    : IConsumer<EventsResolved>
{
    public async Task Consume(ConsumeContext<EventsResolved> context)
    {
        await PoisonIsolation.ConsumeEntriesAsync(context, context.Message.Events, e => new EventsResolved([e]),
            events => recording.SubmitAsync(events, context.CancellationToken, context.DeliveryOrder()), logger);
    }
}

using Cdp.Contracts.Identity;
using Cdp.ServiceDefaults.Maintenance;
using Cdp.ServiceDefaults.Messaging;
using MassTransit;

namespace Cdp.ProfileProjection.Profiles.Recording;

/// Consume EventsResolved (what IdentityResolution publishes, several events to a message) and record their events,
/// with those of the other messages that arrive meanwhile, in one batch (ProfileRecording, through a GroupCommit).
/// Held while an operator rebuilds the profiles (MaintenancePause).
public sealed class EventsResolvedConsumer(GroupCommit<EventResolved> recording, MaintenancePause pause, ILogger<EventsResolvedConsumer> logger)
    : IConsumer<EventsResolved>
{
    public async Task Consume(ConsumeContext<EventsResolved> context)
    {
        using var _ = await pause.EnterAsync(context.CancellationToken);
        await PoisonIsolation.ConsumeEntriesAsync(context, context.Message.Events, e => new EventsResolved([e]),
            events => recording.SubmitAsync(events, context.CancellationToken), logger);
    }
}

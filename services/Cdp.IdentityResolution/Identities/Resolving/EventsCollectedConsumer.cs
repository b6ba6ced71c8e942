using Cdp.Contracts.Collector;
using Cdp.ServiceDefaults.Messaging;
using Cdp.ServiceDefaults.Telemetry;
using MassTransit;

namespace Cdp.IdentityResolution.Identities.Resolving;

/// Consume EventsCollected (what the Collector publishes, several events to a message) and resolve their events,
/// with those of the other messages that arrive meanwhile, in one batch (EventResolution, through a GroupCommit);
/// each event keeps its message's trace. Its GroupCommit is held while an operator applies other identity rules (MaintenancePause).
public sealed class EventsCollectedConsumer(GroupCommit<EventResolution.Collected> resolving, ILogger<EventsCollectedConsumer> logger)
    : IConsumer<EventsCollected>
{
    public async Task Consume(ConsumeContext<EventsCollected> context)
    {
        var trace = context.TraceParent();
        await PoisonIsolation.ConsumeEntriesAsync(context, [.. context.Message.Events.Select(e => new EventResolution.Collected(e, trace))],
            c => new EventsCollected([c.Event]), events => resolving.SubmitAsync(events, context.CancellationToken, context.DeliveryOrder()), logger);
    }
}

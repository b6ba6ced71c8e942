using Cdp.Contracts.Collector;
using Cdp.ServiceDefaults.Maintenance;
using Cdp.ServiceDefaults.Messaging;
using Cdp.ServiceDefaults.Telemetry;
using MassTransit;

namespace Cdp.IdentityResolution.Identities.Resolving;

/// Consume a batch of EventsCollected (what the Collector publishes, several events to a message) and resolve their
/// events as EventCollectedConsumer does for events sent alone (EventResolution); each keeps its message's trace.
/// Held while an operator applies other identity rules (MaintenancePause).
public sealed class EventsCollectedConsumer(EventResolution resolution, MaintenancePause pause, ILogger<EventsCollectedConsumer> logger)
    : IConsumer<Batch<EventsCollected>>
{
    public async Task Consume(ConsumeContext<Batch<EventsCollected>> context)
    {
        using var _ = await pause.EnterAsync(context.CancellationToken);
        await PoisonIsolation.ConsumeEntriesAsync(context,
            m =>
            {
                var trace = m.TraceParent();
                return m.Message.Events.Select(e => new EventResolution.Collected(e, trace));
            },
            c => new EventsCollected([c.Event]),
            events => resolution.ResolveBatchAsync(events, context.CancellationToken), logger);
    }
}

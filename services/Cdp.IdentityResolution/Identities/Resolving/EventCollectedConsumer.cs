using Cdp.Contracts.Collector;
using Cdp.ServiceDefaults.Maintenance;
using Cdp.ServiceDefaults.Messaging;
using Cdp.ServiceDefaults.Telemetry;
using MassTransit;

namespace Cdp.IdentityResolution.Identities.Resolving;

/// Consume a batch of events sent one to a message (the Collector sends EventsCollected), decide, append with the
/// processed-message markers in one transaction
/// (EventResolution); the subscription in Publishing/ publishes EventsResolved and ProfilesMerged.
/// Held while an operator applies other identity rules (MaintenancePause).
public sealed class EventCollectedConsumer(EventResolution resolution, MaintenancePause pause, ILogger<EventCollectedConsumer> logger)
    : IConsumer<Batch<EventCollected>>
{
    public async Task Consume(ConsumeContext<Batch<EventCollected>> context)
    {
        using var _ = await pause.EnterAsync(context.CancellationToken);
        await PoisonIsolation.ConsumeAsync(context, messages => resolution.ResolveBatchAsync(
            [.. messages.Select(m => new EventResolution.Collected(m.Message, m.TraceParent()))],
            context.CancellationToken), logger);
    }
}

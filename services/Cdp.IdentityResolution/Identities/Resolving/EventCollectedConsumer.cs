using Cdp.Contracts.Collector;
using Cdp.ServiceDefaults.Messaging;
using Cdp.ServiceDefaults.Telemetry;
using MassTransit;

namespace Cdp.IdentityResolution.Identities.Resolving;

/// Consume an event sent alone (the Collector sends EventsCollected) and resolve it with the events that arrive
/// meanwhile, from either queue, in one batch (EventResolution, through the same GroupCommit); the subscription in
/// Publishing/ publishes EventsResolved and ProfilesMerged. An event that fails for a reason no retry mends goes to
/// the error queue alone. Its GroupCommit is held while an operator applies other identity rules (MaintenancePause).
public sealed class EventCollectedConsumer(GroupCommit<EventResolution.Collected> resolving) : IConsumer<EventCollected>
{
    public async Task Consume(ConsumeContext<EventCollected> context)
    {
        await resolving.SubmitAsync([new EventResolution.Collected(context.Message, context.TraceParent())], context.CancellationToken, context.DeliveryOrder());
    }
}

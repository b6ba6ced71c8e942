using Cdp.Contracts.Collector;
using MassTransit;

namespace Cdp.IdentityResolution.Identities.Resolving;

/// Consume, decide, append with the processed-message marker in one transaction (EventResolution);
/// the subscription in Publishing/ publishes EventResolved and ProfilesMerged from what was appended.
public sealed class EventCollectedConsumer(EventResolution resolution) : IConsumer<EventCollected>
{
    public Task Consume(ConsumeContext<EventCollected> context) => resolution.ResolveAsync(context.Message, context.CancellationToken);
}

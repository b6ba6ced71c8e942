using Cdp.Contracts.Collector;
using MassTransit;

namespace Cdp.IdentityResolution.Identities.Resolving;

/// Consume a batch, decide, append with the processed-message markers in one transaction
/// (EventResolution); the subscription in Publishing/ publishes EventResolved and ProfilesMerged.
public sealed class EventCollectedConsumer(EventResolution resolution) : IConsumer<Batch<EventCollected>>
{
    public Task Consume(ConsumeContext<Batch<EventCollected>> context) =>
        resolution.ResolveBatchAsync(
            [.. context.Message.Select(m => new EventResolution.Collected(m.Message, m.Headers.Get<string>("MT-Activity-Id")))],
            context.CancellationToken);
}

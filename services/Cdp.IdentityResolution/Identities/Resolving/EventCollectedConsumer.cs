using Cdp.Contracts.Collector;
using Cdp.ServiceDefaults.Messaging;
using MassTransit;

namespace Cdp.IdentityResolution.Identities.Resolving;

/// Consume a batch, decide, append with the processed-message markers in one transaction
/// (EventResolution); the subscription in Publishing/ publishes EventResolved and ProfilesMerged.
public sealed class EventCollectedConsumer(EventResolution resolution, ILogger<EventCollectedConsumer> logger) : IConsumer<Batch<EventCollected>>
{
    public Task Consume(ConsumeContext<Batch<EventCollected>> context) =>
        PoisonIsolation.ConsumeAsync(context, messages => resolution.ResolveBatchAsync(
            [.. messages.Select(m => new EventResolution.Collected(m.Message, m.Headers.Get<string>("MT-Activity-Id")))],
            context.CancellationToken), logger);
}

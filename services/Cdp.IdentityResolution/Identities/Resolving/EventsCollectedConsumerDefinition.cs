using MassTransit;

namespace Cdp.IdentityResolution.Identities.Resolving;

public sealed class EventsCollectedConsumerDefinition : ConsumerDefinition<EventsCollectedConsumer>
{
    // Messages, each with up to MessageBatches.MaxEntries events (a request's worth): a batch resolves a few hundred at most.
    private const int BatchSize = 8;

    public EventsCollectedConsumerDefinition()
    {
        ConcurrentMessageLimit = BatchSize;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint, IConsumerConfigurator<EventsCollectedConsumer> consumer,
        IRegistrationContext context)
    {
        endpoint.PrefetchCount = BatchSize * 2;
        // One batch at a time per process: a batch's decisions see each other in memory, and batches of
        // other processes are kept apart by stream versions and the (type, value) key (EventResolution).
        consumer.Options<BatchOptions>(o => o.SetMessageLimit(BatchSize).SetTimeLimit(TimeSpan.FromMilliseconds(10)).SetConcurrencyLimit(1));
    }
}

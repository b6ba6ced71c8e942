using MassTransit;

namespace Cdp.IdentityResolution.Identities.Resolving;

public sealed class EventCollectedConsumerDefinition : ConsumerDefinition<EventCollectedConsumer>
{
    private const int BatchSize = 200;

    public EventCollectedConsumerDefinition()
    {
        ConcurrentMessageLimit = BatchSize;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint, IConsumerConfigurator<EventCollectedConsumer> consumer,
        IRegistrationContext context)
    {
        endpoint.PrefetchCount = BatchSize * 2;
        // One batch at a time per process: a batch's decisions see each other in memory, and batches of
        // other processes are kept apart by stream versions and the (type, value) key (EventResolution).
        consumer.Options<BatchOptions>(o => o.SetMessageLimit(BatchSize).SetTimeLimit(TimeSpan.FromMilliseconds(20)).SetConcurrencyLimit(1));
    }
}

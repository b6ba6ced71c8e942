using MassTransit;

namespace Cdp.ProfileProjection.Profiles.Recording;

public sealed class EventResolvedConsumerDefinition : ConsumerDefinition<EventResolvedConsumer>
{
    private const int BatchSize = 200;

    public EventResolvedConsumerDefinition()
    {
        ConcurrentMessageLimit = BatchSize;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint, IConsumerConfigurator<EventResolvedConsumer> consumer,
        IRegistrationContext context)
    {
        endpoint.PrefetchCount = BatchSize * 2;
        // One batch at a time per process; other processes' batches are kept apart by stream versions.
        consumer.Options<BatchOptions>(o => o.SetMessageLimit(BatchSize).SetTimeLimit(TimeSpan.FromMilliseconds(20)).SetConcurrencyLimit(1));
    }
}

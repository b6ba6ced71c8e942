using MassTransit;

namespace Cdp.ProfileProjection.Profiles.Recording;

public sealed class EventsResolvedConsumerDefinition : ConsumerDefinition<EventsResolvedConsumer>
{
    // Messages, each with up to MessageBatches.MaxEntries events: a batch records a few hundred events at most.
    private const int BatchSize = 8;

    public EventsResolvedConsumerDefinition()
    {
        ConcurrentMessageLimit = BatchSize;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint, IConsumerConfigurator<EventsResolvedConsumer> consumer,
        IRegistrationContext context)
    {
        endpoint.PrefetchCount = BatchSize * 2;
        // One batch at a time per process; other processes' batches are kept apart by stream versions.
        consumer.Options<BatchOptions>(o => o.SetMessageLimit(BatchSize).SetTimeLimit(TimeSpan.FromMilliseconds(10)).SetConcurrencyLimit(1));
    }
}

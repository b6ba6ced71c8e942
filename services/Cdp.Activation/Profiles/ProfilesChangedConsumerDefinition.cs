using MassTransit;

namespace Cdp.Activation.Profiles;

public sealed class ProfilesChangedConsumerDefinition : ConsumerDefinition<ProfilesChangedConsumer>
{
    // Messages, each with up to MessageBatches.MaxEntries changes.
    private const int BatchSize = 8;

    public ProfilesChangedConsumerDefinition()
    {
        ConcurrentMessageLimit = BatchSize * 2;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint, IConsumerConfigurator<ProfilesChangedConsumer> consumer,
        IRegistrationContext context)
    {
        endpoint.PrefetchCount = BatchSize * 4;
        // A short time limit keeps latency low at light load; two batches in flight overlap database round trips.
        // Batches touching one profile are serialized by MembershipRecording's locks.
        consumer.Options<BatchOptions>(o => o.SetMessageLimit(BatchSize).SetTimeLimit(TimeSpan.FromMilliseconds(5)).SetConcurrencyLimit(2));
    }
}

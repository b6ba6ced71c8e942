using MassTransit;

namespace Cdp.Activation.Profiles;

public sealed class ProfileChangedConsumerDefinition : ConsumerDefinition<ProfileChangedConsumer>
{
    public ProfileChangedConsumerDefinition()
    {
        ConcurrentMessageLimit = 32;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint, IConsumerConfigurator<ProfileChangedConsumer> consumer,
        IRegistrationContext context)
    {
        endpoint.PrefetchCount = 64;
        // One profile's snapshots are compared and stored one at a time in this process.
        consumer.Message<Cdp.Contracts.Profiles.ProfileChanged>(m => m.UsePartitioner(32, c => c.Message.ProfileId));
    }
}

using MassTransit;

namespace Cdp.IdentityResolution.Identities.Resolving;

public sealed class EventCollectedConsumerDefinition : ConsumerDefinition<EventCollectedConsumer>
{
    public EventCollectedConsumerDefinition()
    {
        ConcurrentMessageLimit = 32;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint, IConsumerConfigurator<EventCollectedConsumer> consumer,
        IRegistrationContext context)
    {
        endpoint.PrefetchCount = 64;
    }
}

using MassTransit;

namespace Cdp.ProfileProjection.Profiles.Recording;

public sealed class EventResolvedConsumerDefinition : ConsumerDefinition<EventResolvedConsumer>
{
    public EventResolvedConsumerDefinition()
    {
        ConcurrentMessageLimit = 32;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint, IConsumerConfigurator<EventResolvedConsumer> consumer,
        IRegistrationContext context)
    {
        endpoint.PrefetchCount = 64;
        // Events of one profile are written one at a time in this process, so they rarely race on the stream version.
        consumer.Message<Cdp.Contracts.Identity.EventResolved>(m => m.UsePartitioner(32, c => c.Message.ProfileId));
    }
}

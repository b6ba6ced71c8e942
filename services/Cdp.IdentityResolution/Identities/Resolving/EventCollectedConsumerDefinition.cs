using Cdp.Contracts.Collector;
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
        endpoint.PrefetchCount = 128;
        // Events of one person mostly share their strongest identifier; handling those one at a time in
        // this process avoids needless races. Races across processes are still safe (see EventResolution).
        consumer.Message<EventCollected>(m => m.UsePartitioner(32, c => c.Message.UserId ?? c.Message.AnonymousId ?? c.Message.MessageId));
    }
}

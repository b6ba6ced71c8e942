using MassTransit;

namespace Cdp.Activation.Delivery.Webhooks;

public sealed class WebhookDeliveryConsumerDefinition : ConsumerDefinition<WebhookDeliveryConsumer>
{
    public WebhookDeliveryConsumerDefinition()
    {
        ConcurrentMessageLimit = 64;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint, IConsumerConfigurator<WebhookDeliveryConsumer> consumer,
        IRegistrationContext context)
    {
        endpoint.PrefetchCount = 128;
        // Deliveries of one profile to one destination go one at a time, in the order they were queued.
        consumer.Message<WebhookDeliveryRequested>(m => m.UsePartitioner(64, c => $"{c.Message.SubscriptionId}/{c.Message.ProfileId}"));
    }
}

using Cdp.ServiceDefaults.Messaging;
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
        consumer.Message<WebhookDeliveryRequested>(m =>
        {
            // Deliveries of one profile to one destination go one at a time, in the order they were queued.
            m.UsePartitioner(64, c => $"{c.Message.SubscriptionId}/{c.Message.ProfileId}");
            // Retried inside the partition: the endpoint's own retry runs outside it, so a delivery whose database work
            // failed for a moment would let the next one of its profile go first, unblocked by a dead letter not yet stored.
            // Once this retry gives up, the endpoint's does not run the delivery again: MassTransit's outer retry filter
            // rethrows a failure an inner one has already retried (checked on 8.5: 1 + 2 attempts, not (1 + 2) x 4).
            m.UseMessageRetry(MessagingExtensions.RetryTransientFailures);
        });
    }
}

using Cdp.ServiceDefaults.Persistence;
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
        consumer.Message<WebhookDeliveryRequested>(m => m.UseMessageRetry(retry =>
        {
            // Order per profile and destination is kept by the pending deliveries (WebhookDeliveryConsumer), not by the queue:
            // a delivery whose turn has not come runs again here, every 2 s at most, for longer than its OrderWait, so that
            // it dead-letters itself behind the earlier one rather than going to the error queue. A partitioner here would
            // hold the earlier delivery behind a waiting later one. Transient database failures are retried the same way;
            // the endpoint's own retry does not run them again (MassTransit's outer retry rethrows what an inner one retried).
            retry.Exponential(400, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(100));
            retry.Handle<Exception>(e => e is EarlierDeliveryPending || Transience.IsTransient(e));
        }));
    }
}

namespace Cdp.Activation.Delivery.Webhooks;

/// Thrown to run a delivery again later: an earlier change of its profile for the same destination is still being delivered.
public sealed class EarlierDeliveryPending(WebhookDeliveryRequested delivery)
    : Exception($"Delivery {delivery.DeliveryId} (sequence {delivery.Sequence}) of profile {delivery.ProfileId} to subscription " +
                $"{delivery.SubscriptionId} waits for an earlier one of that profile that is still being delivered.");

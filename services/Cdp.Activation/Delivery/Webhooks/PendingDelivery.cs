namespace Cdp.Activation.Delivery.Webhooks;

/// A webhook delivery that was queued and is not done yet (neither delivered nor dead-lettered). Stored before the
/// delivery is published, so a later change of the same profile for the same destination can tell that it must wait:
/// the queue alone does not keep that order (deliveries of one page are published together, a redelivered message
/// comes back behind newer ones, and competing Activation instances consume side by side).
public sealed class PendingDelivery
{
    public Guid Id { get; set; }
    public string SubscriptionId { get; set; } = "";
    public string ProfileId { get; set; } = "";
    public long Sequence { get; set; }

    /// The dead letter a re-drive delivery retries, if it is one.
    public string? RedriveOf { get; set; }

    public static PendingDelivery Of(WebhookDeliveryRequested delivery) => new()
    {
        Id = delivery.DeliveryId, SubscriptionId = delivery.SubscriptionId, ProfileId = delivery.ProfileId, Sequence = delivery.Sequence,
        RedriveOf = delivery.RedriveOf,
    };
}

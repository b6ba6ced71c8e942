namespace Cdp.Activation.Delivery.Webhooks;

/// One change to post to one webhook; queued so that a slow or failing destination never holds up the others.
/// Internal to Activation. RedriveOf names the dead letter this delivery retries.
public sealed record WebhookDeliveryRequested(Guid DeliveryId, string SubscriptionId, string ProfileId, string AudienceKey, long Sequence,
    string ChangeId, string Body, string? RedriveOf = null);

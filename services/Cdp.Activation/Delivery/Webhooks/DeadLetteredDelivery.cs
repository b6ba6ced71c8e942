namespace Cdp.Activation.Delivery.Webhooks;

/// A webhook delivery whose retries were spent (or that waits behind an earlier one of the same profile),
/// kept until an operator re-drives it. RedriveRequestedAt is set while a re-drive is on its way.
public sealed class DeadLetteredDelivery
{
    public string Id { get; set; } = "";
    public string SubscriptionId { get; set; } = "";
    public string ProfileId { get; set; } = "";
    public string AudienceKey { get; set; } = "";
    public long Sequence { get; set; }
    public string ChangeId { get; set; } = "";
    public string Body { get; set; } = "";
    public string Reason { get; set; } = "";
    public int Attempts { get; set; }
    public DateTimeOffset DeadLetteredAt { get; set; }
    public DateTimeOffset? RedriveRequestedAt { get; set; }
}

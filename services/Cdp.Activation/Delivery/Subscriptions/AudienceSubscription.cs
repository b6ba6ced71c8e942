namespace Cdp.Activation.Delivery.Subscriptions;

/// Where one audience's changes go: a queue created for the consumer, or a signed webhook.
public sealed class AudienceSubscription
{
    public string Id { get; set; } = "";
    public string AudienceKey { get; set; } = "";
    public string Kind { get; set; } = SubscriptionKinds.Queue;
    public string Format { get; set; } = SubscriptionFormats.Json;
    public string? Queue { get; set; }
    public string? Url { get; set; }
    public string? Secret { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

public static class SubscriptionKinds
{
    public const string Queue = "queue";
    public const string Webhook = "webhook";
}

public static class SubscriptionFormats
{
    public const string Json = "json";
    public const string SegmentTrack = "segment-track";
    public const string SegmentIdentify = "segment-identify";
    public static readonly string[] All = [Json, SegmentTrack, SegmentIdentify];
}

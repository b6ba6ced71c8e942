namespace Cdp.Ops.Status;

/// What `status --json` prints.
public sealed record StatusReport(IReadOnlyList<ServiceHealth> Services, IReadOnlyList<QueueState> Queues,
    IReadOnlyList<SubscriptionLag> Subscriptions, IReadOnlyList<string> Problems)
{
    public bool Healthy => Problems.Count == 0;
}

/// <param name="Ready">/health/ready answered 200.</param>
/// <param name="Detail">The failing checks, or why it did not answer.</param>
/// <param name="Rebuild">The state of a projection rebuild, where the service has one (idle, rebuilding, completed, failed...).</param>
public sealed record ServiceHealth(string Name, string Url, bool Ready, string? Detail, string? Rebuild);

/// <param name="Messages">Ready plus unacknowledged.</param>
/// <param name="PublishRate">Messages/s arriving over the management API's last sample.</param>
/// <param name="DeliverRate">Messages/s acknowledged by consumers.</param>
public sealed record QueueState(string Name, long Messages, long Ready, long Unacknowledged, int Consumers, double PublishRate, double DeliverRate);

/// A Marten subscription or async projection behind its service's event store.
/// <param name="Lag">Events appended that it has not processed.</param>
public sealed record SubscriptionLag(string Schema, string Name, long Position, long Head, long Lag);

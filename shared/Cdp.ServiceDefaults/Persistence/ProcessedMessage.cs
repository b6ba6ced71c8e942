namespace Cdp.ServiceDefaults.Persistence;

/// <summary>
/// The marker that makes a redelivered message a no-op: stored in the same transaction as the
/// message's effects, keyed by the incoming message id, and deleted after the retention window.
/// </summary>
/// <param name="Id">The incoming message id.</param>
/// <param name="ProcessedAt">When it was processed.</param>
public sealed record ProcessedMessage(string Id, DateTimeOffset ProcessedAt);

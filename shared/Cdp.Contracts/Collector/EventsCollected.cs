namespace Cdp.Contracts.Collector;

/// <summary>
/// Several accepted events in one message, in the order of the request or AMQP message that brought them: what the
/// Collector publishes, so that RabbitMQ and IdentityResolution handle one message per request instead of one per
/// event. Each entry is handled exactly as an <see cref="EventCollected"/> sent alone; a message stays under 48 KB of JSON.
/// </summary>
/// <param name="Events">The events, in the order they were sent.</param>
public sealed record EventsCollected(IReadOnlyList<EventCollected> Events);

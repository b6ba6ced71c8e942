namespace Cdp.Contracts.Identity;

/// <summary>
/// Several resolved events in one message, in the order identity resolution stored them: what IdentityResolution
/// publishes, so that RabbitMQ and the consumers handle one message per page of events instead of one per event.
/// Each entry is handled exactly as an <see cref="EventResolved"/> sent alone; a message stays under 48 KB of JSON.
/// </summary>
/// <param name="Events">The resolved events, oldest first.</param>
public sealed record EventsResolved(IReadOnlyList<EventResolved> Events);

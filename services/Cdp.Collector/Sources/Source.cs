namespace Cdp.Collector.Sources;

/// A system that sends events, identified by its write key. EventsPerSecond null means no rate limit.
public sealed record Source(string Id, string Name, string WriteKey, string DataParty, bool Enabled, int? EventsPerSecond = null);

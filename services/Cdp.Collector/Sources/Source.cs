namespace Cdp.Collector.Sources;

/// A system that sends events, identified by its write key.
public sealed record Source(string Id, string Name, string WriteKey, string DataParty, bool Enabled);

namespace Cdp.Collector.Sources;

// Bound from Cdp:Sources; each entry is one source.
public sealed class SourceOptions
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string WriteKey { get; set; } = "";
    public string DataParty { get; set; } = Cdp.Contracts.DataParties.First;
    public bool Enabled { get; set; } = true;
    public int? EventsPerSecond { get; set; }
}

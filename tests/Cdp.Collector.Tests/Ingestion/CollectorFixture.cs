using System.Net.Http.Headers;
using System.Text;
using Cdp.Testing;

namespace Cdp.Collector.Tests.Ingestion;

/// A Collector in the test process on its own virtual host, with a probe on the EventsCollected exchange (each event a delivery).
public sealed class CollectorFixture() : ServiceFixture<Program>("collector", "Cdp.Contracts.Collector:EventsCollected", new Dictionary<string, string?>
{
    ["Cdp:Sources:1:Id"] = "crm",
    ["Cdp:Sources:1:WriteKey"] = "crm-key",
    ["Cdp:Sources:1:DataParty"] = "second",
    ["Cdp:Sources:2:Id"] = "old",
    ["Cdp:Sources:2:WriteKey"] = "disabled-key",
    ["Cdp:Sources:2:Enabled"] = "false",
    ["Cdp:Sources:3:Id"] = "limited",
    ["Cdp:Sources:3:WriteKey"] = "limited-key",
    ["Cdp:Sources:3:EventsPerSecond"] = "5",
}, probedEntries: "events")
{
    public BusProbe Collected => Probe;

    /// A client that sends the write key as HTTP Basic user name, as Segment's SDKs do.
    public HttpClient Client(string? writeKey = "dev-write-key")
    {
        var client = Factory.CreateClient();
        if (writeKey is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));
        }
        return client;
    }
}

using System.Net.Http.Headers;
using System.Text;
using Cdp.Testing;

namespace Cdp.Collector.Tests.Ingestion;

/// A Collector in the test process on its own virtual host, with a probe on the EventCollected exchange.
public sealed class CollectorFixture : IAsyncLifetime
{
    public IsolatedEnvironment Environment { get; private set; } = null!;
    public ServiceFactory<Program> Factory { get; private set; } = null!;
    public BusProbe Collected { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Environment = await IsolatedEnvironment.CreateAsync("collector");
        Factory = new ServiceFactory<Program>(Environment, new Dictionary<string, string?>
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
        });
        Collected = await BusProbe.StartAsync(Environment.RabbitMq, "Cdp.Contracts.Collector:EventCollected");
        await Eventually.TrueAsync(async () => (await Factory.CreateClient().GetAsync("/health/ready")).IsSuccessStatusCode,
            TimeSpan.FromSeconds(60), "the Collector to be ready");
    }

    public HttpClient Client(string? writeKey = "dev-write-key")
    {
        var client = Factory.CreateClient();
        if (writeKey is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));
        }
        return client;
    }

    public async Task DisposeAsync()
    {
        await Collected.DisposeAsync();
        await Factory.DisposeAsync();
        await Environment.DisposeAsync();
    }
}

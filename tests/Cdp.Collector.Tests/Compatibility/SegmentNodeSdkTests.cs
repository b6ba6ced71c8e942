using System.Diagnostics;
using Cdp.Testing;

namespace Cdp.Collector.Tests.Compatibility;

/// The real @segment/analytics-node package from npm, pointed at a Collector process: every call
/// type it sends arrives on the bus with its fields intact.
public sealed class SegmentNodeSdkTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private Platform _platform = null!;
    private BusProbe _collected = null!;

    public async Task InitializeAsync()
    {
        _platform = await Platform.StartAsync("sdk", only: ["Collector"], report: output.WriteLine);
        _collected = await BusProbe.StartAsync(_platform.Environment.RabbitMq, "Cdp.Contracts.Collector:EventsCollected", entries: "events");
    }

    public async Task DisposeAsync()
    {
        await _collected.DisposeAsync();
        await _platform.DisposeAsync();
    }

    [Fact]
    public async Task Given_the_segment_node_sdk_pointed_at_the_collector_when_it_flushes_then_every_call_is_on_the_bus_intact()
    {
        var folder = Path.Combine(Platform.RepositoryRoot(), "tests", "Cdp.Collector.Tests", "Compatibility", "node");
        Assert.True(Directory.Exists(Path.Combine(folder, "node_modules", "@segment", "analytics-node")),
            $"The Segment SDK is not installed in {folder}; `./cdp test` installs it (npm ci).");
        var runId = Guid.NewGuid().ToString("N")[..12];

        var node = Process.Start(new ProcessStartInfo("node", ["send.mjs", _platform.Urls["Collector"].ToString().TrimEnd('/'), "dev-write-key", runId])
        {
            WorkingDirectory = folder,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await node.WaitForExitAsync(timeout.Token);
        Assert.True(node.ExitCode == 0, $"the SDK reported errors: {await node.StandardError.ReadToEndAsync()}");

        var user = $"sdk-{runId}";
        foreach (var type in new[] { "identify", "track", "page", "screen", "group", "alias" })
        {
            await _collected.WaitForAsync(d => d.Message.GetProperty("userId").GetString() == user && d.Message.GetProperty("type").GetString() == type,
                what: $"the SDK's {type} call");
        }
        Assert.Equal("a-1", JsonMessage(Of("track")).GetProperty("properties").GetProperty("items")[0].GetProperty("sku").GetString());
        Assert.Equal("19.9", JsonMessage(Of("track")).GetProperty("properties").GetProperty("revenue").GetRawText());
        Assert.Equal("Order Completed", Of("track").GetProperty("event").GetString());
        Assert.Equal($"{runId}@example.com", JsonMessage(Of("identify")).GetProperty("traits").GetProperty("email").GetString());
        Assert.Equal("Home", JsonMessage(Of("page")).GetProperty("name").GetString());
        Assert.Equal($"g-{runId}", JsonMessage(Of("group")).GetProperty("groupId").GetString());
        Assert.Equal($"anon-{runId}", JsonMessage(Of("alias")).GetProperty("previousId").GetString());
        Assert.Equal("@segment/analytics-node", JsonMessage(Of("track")).GetProperty("context").GetProperty("library").GetProperty("name").GetString());

        System.Text.Json.JsonElement Of(string type) => _collected.Received
            .First(d => d.Message.GetProperty("userId").GetString() == user && d.Message.GetProperty("type").GetString() == type).Message;
        static System.Text.Json.JsonElement JsonMessage(System.Text.Json.JsonElement e) => e.GetProperty("message");
    }
}

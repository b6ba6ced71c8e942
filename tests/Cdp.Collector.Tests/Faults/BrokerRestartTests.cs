using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Cdp.Testing;
using RabbitMQ.Client;

namespace Cdp.Collector.Tests.Faults;

/// Restarts the shared RabbitMQ node, so it runs in `./cdp test`'s separate fault phase.
[Trait("Category", "Faults")]
public sealed class BrokerRestartTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private Platform _platform = null!;

    public async Task InitializeAsync() => _platform = await Platform.StartAsync("restart", only: ["Collector"], report: output.WriteLine);

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    [Fact]
    public async Task Given_a_client_sending_while_rabbitmq_restarts_then_every_event_answered_200_is_on_the_bus()
    {
        var queue = "probe-" + Guid.NewGuid().ToString("N");
        var factory = new ConnectionFactory { Uri = _platform.Environment.RabbitMq };
        await using (var connection = await factory.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            await channel.ExchangeDeclareAsync("Cdp.Contracts.Collector:EventsCollected", ExchangeType.Fanout, durable: true);
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
                arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });
            await channel.QueueBindAsync(queue, "Cdp.Contracts.Collector:EventsCollected", "");
        }

        var accepted = new ConcurrentBag<string>();
        var statuses = new ConcurrentDictionary<HttpStatusCode, int>();
        using var client = _platform.Client("Collector", basicUser: "dev-write-key");
        var sending = Task.WhenAll(Enumerable.Range(0, 4).Select(async worker =>
        {
            var until = DateTime.UtcNow.AddSeconds(20);
            while (DateTime.UtcNow < until)
            {
                var id = Guid.NewGuid().ToString();
                try
                {
                    var response = await client.PostAsync("/v1/track",
                        new StringContent($$"""{"messageId":"{{id}}","userId":"w{{worker}}","event":"Tick"}""", Encoding.UTF8, "application/json"));
                    statuses.AddOrUpdate(response.StatusCode, 1, (_, n) => n + 1);
                    if (response.StatusCode == HttpStatusCode.OK) accepted.Add(id);
                }
                catch (TaskCanceledException)
                {
                    statuses.AddOrUpdate(HttpStatusCode.RequestTimeout, 1, (_, n) => n + 1);
                }
                await Task.Delay(20);
            }
        }));

        await Task.Delay(TimeSpan.FromSeconds(4));
        await BrokerControl.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(4));
        await BrokerControl.StartAsync();
        await sending;

        Assert.True(statuses.GetValueOrDefault(HttpStatusCode.ServiceUnavailable) > 0, "the outage should have been answered with 503s: " + Describe(statuses));
        var received = new HashSet<string>();
        await using (var connection = await factory.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!accepted.All(received.Contains) && DateTime.UtcNow < deadline)
            {
                // The queue may still be recovering from the restart (a get then closes the connection): a read of its own.
                var message = await QueueReads.TakeAsync(_platform.Environment.RabbitMq, queue);
                if (message is null)
                {
                    await Task.Delay(200);
                    continue;
                }
                foreach (var e in JsonDocument.Parse(message.Body).RootElement.GetProperty("message").GetProperty("events").EnumerateArray())
                {
                    received.Add(e.GetProperty("messageId").GetString()!);
                }
            }
            await channel.QueueDeleteAsync(queue);
        }
        var lost = accepted.Where(id => !received.Contains(id)).ToList();
        output.WriteLine($"accepted {accepted.Count}, on the bus {received.Count}, lost {lost.Count}; statuses {Describe(statuses)}");
        Assert.True(lost.Count == 0, $"{lost.Count} of {accepted.Count} events answered 200 are missing from the bus; statuses {Describe(statuses)}");
        Assert.True(accepted.Count > 50, $"too few events were accepted to mean anything: {Describe(statuses)}");
    }

    private static string Describe(ConcurrentDictionary<HttpStatusCode, int> statuses) =>
        string.Join(", ", statuses.Select(s => $"{(int)s.Key}: {s.Value}"));
}

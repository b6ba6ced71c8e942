using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using RabbitMQ.Client;

namespace Cdp.Ops.Tests;

[Collection(OpsCollection.Name)]
public sealed class ReplayTests(OpsPlatform ops) : IAsyncLifetime
{
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];
    private string _ann = "";
    private string _bob = "";

    private string Orders => $"Order Completed {_run}";

    // ann (dev source): 3 orders in January, a page, a Viewed; bob (web source): 2 orders in February, an identify.
    public async Task InitializeAsync()
    {
        using var admin = ops.Platform.Client("Collector", bearer: "dev-admin-token");
        (await admin.PutAsJsonAsync($"/v1/admin/sources/web-{_run}", new { writeKey = $"web-{_run}-key", dataParty = "first" })).EnsureSuccessStatusCode();
        for (var i = 1; i <= 3; i++)
        {
            await ops.SendAsync("/v1/track", $$$"""{"userId":"ann-{{{_run}}}","event":"{{{Orders}}}","messageId":"{{{_run}}}-a{{{i}}}","timestamp":"2026-01-1{{{i}}}T10:00:00Z","properties":{"revenue":{{{i}}}0}}""");
        }
        await ops.SendAsync("/v1/page", $$"""{"userId":"ann-{{_run}}","name":"Home","messageId":"{{_run}}-a4","timestamp":"2026-01-15T10:00:00Z"}""");
        await ops.SendAsync("/v1/track", $$"""{"userId":"ann-{{_run}}","event":"Viewed {{_run}}","messageId":"{{_run}}-a5","timestamp":"2026-01-16T10:00:00Z"}""");
        // Stored before bob's are sent: events of different profiles may be stored in another order than they were sent.
        await ops.WaitStoredAsync(_run, 5);
        using var web = ops.Platform.Client("Collector", basicUser: $"web-{_run}-key");
        foreach (var (id, body) in new[]
                 {
                     ("b1", $$"""{"type":"track","userId":"bob-{{_run}}","event":"{{Orders}}","timestamp":"2026-02-10T10:00:00Z"}"""),
                     ("b2", $$"""{"type":"track","userId":"bob-{{_run}}","event":"{{Orders}}","timestamp":"2026-02-11T10:00:00Z"}"""),
                     ("b3", $$"""{"type":"identify","userId":"bob-{{_run}}","traits":{"plan":"pro"},"timestamp":"2026-02-12T10:00:00Z"}"""),
                 })
        {
            var json = body.Insert(1, $"\"messageId\":\"{_run}-{id}\",");
            (await web.PostAsync("/v1/batch", new StringContent($$"""{"batch":[{{json}}]}""", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        }
        await ops.WaitStoredAsync(_run, 8);
        _ann = (await ops.Platform.ProfileAsync($"user_id:ann-{_run}"))!.Value.GetProperty("id").GetString()!;
        _bob = (await ops.Platform.ProfileAsync($"user_id:bob-{_run}"))!.Value.GetProperty("id").GetString()!;
    }

    // The queues a replay created would otherwise hold messages that no service consumes.
    public async Task DisposeAsync()
    {
        var factory = new ConnectionFactory { Uri = ops.Platform.Environment.RabbitMq };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        foreach (var queue in new[] { $"replay-{_run}", $"other-{_run}" }) await channel.QueueDeleteAsync(queue);
    }

    private async Task<long> DryRunAsync(params string[] filter)
    {
        var run = await ops.OpsAsync(["replay", "--dry-run", "--json", .. filter]);
        Assert.True(run.ExitCode == 0, run.ToString());
        return run.Json.GetProperty("matching").GetInt64();
    }

    [Fact]
    public async Task Given_stored_events_when_a_dry_run_filters_them_then_it_counts_exactly_the_matching_ones()
    {
        Assert.Equal(5, await DryRunAsync("--event", Orders));
        Assert.Equal(2, await DryRunAsync("--event", Orders, "--source", $"web-{_run}"));
        Assert.Equal(2, await DryRunAsync("--event", Orders, "--from", "2026-02-01T00:00:00Z"));
        Assert.Equal(1, await DryRunAsync("--event", Orders, "--from", "2026-01-12T00:00:00Z", "--to", "2026-01-13T00:00:00Z"));
        Assert.Equal(4, await DryRunAsync("--profile", _ann, "--type", "track"));
        Assert.Equal(5, await DryRunAsync("--profile", _ann));
        Assert.Equal(1, await DryRunAsync("--profile", _ann, "--type", "page,track", "--event", $"Viewed {_run}", "--event", "none"));
        Assert.Equal(1, await DryRunAsync("--source", $"web-{_run}", "--type", "identify"));
    }

    [Fact]
    public async Task Given_a_replay_stopped_part_way_when_run_again_then_the_queue_holds_every_matching_event_once_in_store_order_as_documented_json()
    {
        var queue = $"replay-{_run}";
        var checkpoint = Path.Combine(Path.GetTempPath(), $"replay-{_run}.json");

        var first = await ops.OpsAsync("replay", "--queue", queue, "--create", "--event", Orders, "--limit", "2", "--checkpoint", checkpoint, "--json");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(2, first.Json.GetProperty("published").GetInt64());
        Assert.False(first.Json.GetProperty("completed").GetBoolean());

        var rest = await ops.OpsAsync("replay", "--queue", queue, "--event", Orders, "--checkpoint", checkpoint, "--json");
        Assert.True(rest.ExitCode == 0, rest.ToString());
        Assert.Equal(3, rest.Json.GetProperty("published").GetInt64());
        Assert.True(rest.Json.GetProperty("completed").GetBoolean());

        var again = await ops.OpsAsync("replay", "--queue", queue, "--event", Orders, "--checkpoint", checkpoint, "--json");
        Assert.Equal(0, again.Json.GetProperty("published").GetInt64());

        var messages = await DrainAsync(queue);
        Assert.Equal(5, messages.Count);
        Assert.Equal(5, messages.Select(m => m.GetProperty("eventId").GetString()).Distinct().Count());
        var sequences = messages.Select(m => m.GetProperty("sequence").GetInt64()).ToList();
        Assert.Equal(sequences.Order(), sequences);
        Assert.All(messages, m =>
        {
            Assert.Equal("track", m.GetProperty("type").GetString());
            Assert.Equal(Orders, m.GetProperty("event").GetString());
        });
        Assert.Equal([_ann, _ann, _ann, _bob, _bob], messages.Select(m => m.GetProperty("profileId").GetString()));
        Assert.Equal(["dev", "dev", "dev", $"web-{_run}", $"web-{_run}"],
            messages.Select(m => m.GetProperty("data").GetProperty("Provenance").GetProperty("SourceId").GetString()));
        // ann's three orders were sent one after another, but the pipeline may store one profile's events in another
        // order than they were sent (consumers run messages concurrently); the replay follows the store.
        Assert.Equal([10, 20, 30], messages.Take(3).Select(m => m.GetProperty("data").GetProperty("Properties").GetProperty("revenue").GetInt32()).Order());
    }

    [Fact]
    public async Task Given_a_checkpoint_of_another_replay_or_a_missing_queue_when_replaying_then_it_exits_2_and_names_the_fix()
    {
        var checkpoint = Path.Combine(Path.GetTempPath(), $"replay-{_run}-other.json");
        var first = await ops.OpsAsync("replay", "--queue", $"other-{_run}", "--create", "--type", "page", "--checkpoint", checkpoint, "--json");
        Assert.True(first.ExitCode == 0, first.ToString());

        var mismatch = await ops.OpsAsync("replay", "--queue", $"other-{_run}", "--type", "track", "--checkpoint", checkpoint);
        Assert.True(mismatch.ExitCode == 2, mismatch.ToString());
        Assert.Contains("--restart", mismatch.Error);

        var missing = await ops.OpsAsync("replay", "--queue", $"missing-{_run}", "--checkpoint", checkpoint + ".2");
        Assert.True(missing.ExitCode == 2, missing.ToString());
        Assert.Contains("--create", missing.Error);
    }

    private async Task<List<JsonElement>> DrainAsync(string queue)
    {
        var factory = new ConnectionFactory { Uri = ops.Platform.Environment.RabbitMq };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var messages = new List<JsonElement>();
        while (await channel.BasicGetAsync(queue, autoAck: true) is { } delivery)
        {
            Assert.Equal("application/json", delivery.BasicProperties.ContentType);
            Assert.Equal("cdp.replayed-event.v1", delivery.BasicProperties.Type);
            var body = JsonDocument.Parse(delivery.Body).RootElement.Clone();
            Assert.Equal(body.GetProperty("eventId").GetString(), delivery.BasicProperties.MessageId);
            messages.Add(body);
        }
        return messages;
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Cdp.Testing;
using RabbitMQ.Client;

namespace Cdp.Activation.Tests.Delivery;

public class QueueSubscriptionTests(ActivationFixture fixture) : IClassFixture<ActivationFixture>
{
    private async Task<JsonElement> SubscribeAsync(string key, string body)
    {
        var response = await fixture.Admin.PostAsync($"/v1/audiences/{key}/subscriptions", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// Reads a subscriber's queue as any AMQP client would.
    private async Task<List<(JsonElement Body, string? MessageId)>> DrainAsync(string queue, int expected)
    {
        var factory = new ConnectionFactory { Uri = fixture.Environment.RabbitMq };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var got = new List<(JsonElement, string?)>();
        await Eventually.TrueAsync(async () =>
        {
            while (await channel.BasicGetAsync(queue, autoAck: true) is { } m)
            {
                got.Add((JsonDocument.Parse(m.Body).RootElement.Clone(), m.BasicProperties.MessageId));
            }
            return got.Count >= expected;
        }, what: $"{expected} messages on {queue}");
        return got;
    }

    [Fact]
    public async Task Given_queue_subscriptions_in_each_format_when_a_profile_enters_and_exits_then_each_queue_gets_its_own_body()
    {
        var key = Changes.NewKey("queues");
        await fixture.DefineAsync(key, """{"trait":"plan","op":"eq","value":"pro"}""", """["plan"]""");
        await fixture.BackfilledAsync(key);
        var json = await SubscribeAsync(key, """{"type":"queue"}""");
        Assert.Equal($"{key}.*", json.GetProperty("bindingKey").GetString());
        var track = await SubscribeAsync(key, $$"""{"type":"queue","format":"segment-track","queue":"{{key}}-track"}""");
        var identify = await SubscribeAsync(key, $$"""{"type":"queue","format":"segment-identify","queue":"{{key}}-identify"}""");

        var id = Changes.NewProfileId();
        await using var probe = await fixture.ProbeAsync($"{key}.*");
        // Changes of one profile that cancel out inside one batch deliver nothing: only its newest snapshot is evaluated.
        await fixture.PublishAsync(Changes.Profile(id, 1, """{"plan":"pro"}"""));
        await probe.WaitForAsync(d => d.RoutingKey == $"{key}.entered");
        await fixture.PublishAsync(Changes.Profile(id, 2, """{"plan":"free"}"""));

        var ours = await DrainAsync(json.GetProperty("queue").GetString()!, 2);
        Assert.Equal(["entered", "exited"], ours.Select(m => m.Body.GetProperty("change").GetString()));
        Assert.All(ours, m => Assert.Equal(m.Body.GetProperty("id").GetString(), m.MessageId));

        var tracks = await DrainAsync(track.GetProperty("queue").GetString()!, 2);
        Assert.Equal(["Audience Entered", "Audience Exited"], tracks.Select(m => m.Body.GetProperty("event").GetString()));
        var t = tracks[0].Body;
        Assert.Equal(("track", $"user-{id}", key), (t.GetProperty("type").GetString(), t.GetProperty("userId").GetString(),
            t.GetProperty("properties").GetProperty("audience_key").GetString()));
        Assert.Equal($"{id}@example.com", t.GetProperty("context").GetProperty("traits").GetProperty("email").GetString());
        Assert.Equal(ours[0].Body.GetProperty("id").GetString(), t.GetProperty("messageId").GetString());

        var identifies = await DrainAsync(identify.GetProperty("queue").GetString()!, 2);
        Assert.Equal([true, false], identifies.Select(m => m.Body.GetProperty("traits").GetProperty(key).GetBoolean()));
        Assert.Equal("identify", identifies[0].Body.GetProperty("type").GetString());
        Assert.Equal("pro", identifies[0].Body.GetProperty("traits").GetProperty("plan").GetString());
    }

    [Fact]
    public async Task Given_a_deleted_subscription_when_changes_happen_then_its_queue_gets_nothing_more()
    {
        var key = Changes.NewKey("unsub");
        await fixture.DefineAsync(key, """{"trait":"plan","op":"eq","value":"pro"}""");
        await fixture.BackfilledAsync(key);
        var sub = await SubscribeAsync(key, """{"type":"queue"}""");
        var queue = sub.GetProperty("queue").GetString()!;
        var id = Changes.NewProfileId();
        await fixture.PublishAsync(Changes.Profile(id, 1, """{"plan":"pro"}"""));
        await DrainAsync(queue, 1);

        Assert.Equal(HttpStatusCode.NoContent, (await fixture.Admin.DeleteAsync($"/v1/subscriptions/{sub.GetProperty("id").GetString()}")).StatusCode);
        await using var probe = await fixture.ProbeAsync($"{key}.*");
        await fixture.PublishAsync(Changes.Profile(id, 2, """{"plan":"free"}"""));
        await probe.WaitForAsync(d => d.RoutingKey == $"{key}.exited");
        await Task.Delay(300);
        var factory = new ConnectionFactory { Uri = fixture.Environment.RabbitMq };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        Assert.Null(await channel.BasicGetAsync(queue, autoAck: true));
    }

    [Fact]
    public async Task Given_bad_subscription_requests_when_posted_then_400_names_the_field()
    {
        var key = Changes.NewKey("badsub");
        await fixture.DefineAsync(key, """{"has_identifier":"email"}""");
        foreach (var (body, field) in new[]
                 {
                     ("""{"type":"carrier-pigeon"}""", "$.type"),
                     ("""{"type":"queue","format":"xml"}""", "$.format"),
                     ("""{"type":"queue","queue":"Bad Name!"}""", "$.queue"),
                     ("""{"type":"webhook","url":"ftp://example.com/x"}""", "$.url"),
                     ("""{"type":"webhook","url":"http://127.0.0.1:9/hook"}""", "$.url"),
                     ("""{"type":"webhook","url":"http://10.1.2.3/hook"}""", "$.url"),
                     ("""{"type":"webhook","url":"https://example.com/hook","secret":"short"}""", "$.secret"),
                 })
        {
            var response = await fixture.Admin.PostAsync($"/v1/audiences/{key}/subscriptions", new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains(problem.GetProperty("errors").EnumerateArray(), e => e.GetProperty("path").GetString() == field);
        }
        var internalUrl = await fixture.Admin.PostAsync($"/v1/audiences/{key}/subscriptions",
            new StringContent("""{"type":"webhook","url":"http://127.0.0.1:9/hook"}""", Encoding.UTF8, "application/json"));
        Assert.Contains("AllowedHosts", await internalUrl.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Admin.PostAsync("/v1/audiences/nope/subscriptions",
            new StringContent("""{"type":"queue"}""", Encoding.UTF8, "application/json"))).StatusCode);
    }
}

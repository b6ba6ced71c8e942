using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Cdp.Collector.Tests.Ingestion;

public class TrackingApiTests(CollectorFixture fixture) : IClassFixture<CollectorFixture>
{
    private static StringContent Json(string json, string mediaType = "application/json") => new(json, Encoding.UTF8, mediaType);

    private static string NewId() => Guid.NewGuid().ToString();

    [Fact]
    public async Task Given_a_valid_track_when_posted_then_it_is_on_the_bus_with_its_fields_intact_after_a_200()
    {
        var id = NewId();
        const string properties = """{"revenue":19.90,"tags":["a","b"],"nested":{"n":null,"u":"ünï"}}""";
        var response = await fixture.Client().PostAsync("/v1/track",
            Json($$$"""{"messageId":"{{{id}}}","userId":"ann","event":"Order Completed","properties":{{{properties}}},"context":{"device":{"id":"d1"}},"custom":7}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"success":true}""", await response.Content.ReadAsStringAsync());
        var delivery = await fixture.Collected.WaitForAsync(d => d.Message.GetProperty("messageId").GetString() == id);
        var message = delivery.Message;
        Assert.Equal("track", message.GetProperty("type").GetString());
        Assert.Equal("ann", message.GetProperty("userId").GetString());
        Assert.Equal("dev", message.GetProperty("sourceId").GetString());
        Assert.Equal("first", message.GetProperty("dataParty").GetString());
        var raw = message.GetProperty("message");
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(properties), System.Text.Json.Nodes.JsonNode.Parse(raw.GetProperty("properties").GetRawText())));
        Assert.Equal("ünï", raw.GetProperty("properties").GetProperty("nested").GetProperty("u").GetString());
        Assert.Equal("19.90", raw.GetProperty("properties").GetProperty("revenue").GetRawText());
        Assert.Equal(7, raw.GetProperty("custom").GetInt32());
        Assert.Equal("d1", raw.GetProperty("context").GetProperty("device").GetProperty("id").GetString());
        Assert.True(raw.TryGetProperty("receivedAt", out _));
    }

    [Theory]
    [InlineData("/v1/identify", """{"userId":"u","traits":{"email":"a@b.c"}}""")]
    [InlineData("/v1/i", """{"anonymousId":"anon","traits":{}}""")]
    [InlineData("/v1/t", """{"userId":"u","event":"Short"}""")]
    [InlineData("/v1/page", """{"userId":"u","name":"Home"}""")]
    [InlineData("/v1/p", """{"userId":"u"}""")]
    [InlineData("/v1/screen", """{"userId":"u","name":"Main"}""")]
    [InlineData("/v1/s", """{"userId":"u"}""")]
    [InlineData("/v1/group", """{"userId":"u","groupId":"g1"}""")]
    [InlineData("/v1/g", """{"userId":"u","groupId":"g1"}""")]
    [InlineData("/v1/alias", """{"userId":"u","previousId":"anon"}""")]
    [InlineData("/v1/a", """{"userId":"u","previousId":"anon"}""")]
    public async Task Given_each_call_type_when_posted_then_it_is_published_with_that_type(string path, string json)
    {
        var id = NewId();
        var body = json.Insert(1, $"\"messageId\":\"{id}\",");
        var response = await fixture.Client().PostAsync(path, Json(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var delivery = await fixture.Collected.WaitForAsync(d => d.Message.GetProperty("messageId").GetString() == id);
        var expected = path[4..] switch { "i" => "identify", "t" => "track", "p" => "page", "s" => "screen", "g" => "group", "a" => "alias", var t => t };
        Assert.Equal(expected, delivery.Message.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Given_the_write_key_in_the_body_when_posted_then_it_authenticates_as_that_source()
    {
        var id = NewId();
        var response = await fixture.Client(writeKey: null).PostAsync("/v1/identify", Json($$"""{"writeKey":"crm-key","messageId":"{{id}}","userId":"u"}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var delivery = await fixture.Collected.WaitForAsync(d => d.Message.GetProperty("messageId").GetString() == id);
        Assert.Equal("crm", delivery.Message.GetProperty("sourceId").GetString());
        Assert.Equal("second", delivery.Message.GetProperty("dataParty").GetString());
        Assert.False(delivery.Message.GetProperty("message").TryGetProperty("writeKey", out _), "the write key must not travel with the event");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    [InlineData("disabled-key")]
    public async Task Given_a_missing_unknown_or_disabled_write_key_when_posted_then_401_with_a_json_error(string? key)
    {
        var response = await fixture.Client(key).PostAsync("/v1/track", Json("""{"userId":"u","event":"X"}"""));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task Given_malformed_json_when_posted_then_400_says_where()
    {
        var response = await fixture.Client().PostAsync("/v1/track", Json("{\"userId\": \"u\",\n \"event\": }"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("line 2", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("/v1/track", """{"event":"X"}""", "userId")]
    [InlineData("/v1/group", """{"userId":"u"}""", "groupId")]
    [InlineData("/v1/alias", """{"userId":"u"}""", "previousId")]
    [InlineData("/v1/identify", """{"userId":"u","timestamp":"not a time"}""", "timestamp")]
    [InlineData("/v1/identify", """{"userId":"u","traits":"gold"}""", "traits")]
    [InlineData("/v1/identify", """{"userId":"u","messageId":"mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm"}""", "messageId")]
    [InlineData("/v1/batch", """{"batch":{"type":"track"}}""", "batch")]
    public async Task Given_each_kind_of_invalid_call_when_posted_then_400_names_the_field(string path, string json, string field)
    {
        var response = await fixture.Client().PostAsync(path, Json(json));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(problem.GetProperty("errors").EnumerateArray(), e => e.GetProperty("field").GetString() == field);
    }

    [Fact]
    public async Task Given_an_invalid_event_when_posted_then_400_names_the_field()
    {
        var response = await fixture.Client().PostAsync("/v1/track", Json("""{"userId":"u"}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("event", problem.GetProperty("errors")[0].GetProperty("field").GetString());
    }

    [Fact]
    public async Task Given_a_batch_with_invalid_events_when_posted_then_every_bad_index_is_listed_and_nothing_is_published()
    {
        var good = NewId();
        var response = await fixture.Client().PostAsync("/v1/batch", Json($$"""
            {"batch":[
              {"type":"track","messageId":"{{good}}","userId":"u","event":"Fine"},
              {"type":"track","userId":"u"},
              {"type":"identify","userId":"u","traits":"nope"}
            ]}
            """));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var indexes = problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("index").GetInt32()).Distinct().Order();
        Assert.Equal([1, 2], indexes);

        var sentinel = NewId();
        await fixture.Client().PostAsync("/v1/track", Json($$"""{"messageId":"{{sentinel}}","userId":"u","event":"Sentinel"}"""));
        await fixture.Collected.WaitForAsync(d => d.Message.GetProperty("messageId").GetString() == sentinel);
        Assert.DoesNotContain(fixture.Collected.Received, d => d.Message.GetProperty("messageId").GetString() == good);
    }

    [Fact]
    public async Task Given_a_valid_batch_when_posted_then_every_event_is_published_with_the_batch_context()
    {
        var ids = Enumerable.Range(0, 5).Select(_ => NewId()).ToList();
        var events = string.Join(",", ids.Select(id => $$"""{"type":"track","messageId":"{{id}}","anonymousId":"a","event":"E"}"""));
        var response = await fixture.Client().PostAsync("/v1/import", Json("{\"batch\":[" + events + "],\"context\":{\"library\":{\"name\":\"test\"}}}"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        foreach (var id in ids)
        {
            var d = await fixture.Collected.WaitForAsync(x => x.Message.GetProperty("messageId").GetString() == id);
            Assert.Equal("test", d.Message.GetProperty("message").GetProperty("context").GetProperty("library").GetProperty("name").GetString());
        }
    }

    [Fact]
    public async Task Given_a_batch_context_and_an_event_with_its_own_context_when_posted_then_both_merge_and_the_event_wins()
    {
        var id = NewId();
        var body = """{"context":{"library":{"name":"lib","version":"1"},"ip":"10.0.0.1"},"batch":[{"type":"track","messageId":"ID","userId":"u","event":"E","writeKey":"dev-write-key","context":{"ip":"192.0.2.7","library":{"version":"2"}}}]}""".Replace("ID", id);

        Assert.Equal(HttpStatusCode.OK, (await fixture.Client().PostAsync("/v1/batch", Json(body))).StatusCode);

        var message = (await fixture.Collected.WaitForAsync(d => d.Message.GetProperty("messageId").GetString() == id)).Message.GetProperty("message");
        var context = message.GetProperty("context");
        Assert.Equal("192.0.2.7", context.GetProperty("ip").GetString());
        Assert.Equal("lib", context.GetProperty("library").GetProperty("name").GetString());
        Assert.Equal("2", context.GetProperty("library").GetProperty("version").GetString());
        Assert.False(message.TryGetProperty("writeKey", out _), "a write key inside a batch item must not be stored");
    }

    [Fact]
    public async Task Given_duplicate_keys_when_posted_then_400_not_500()
    {
        var response = await fixture.Client().PostAsync("/v1/track", Json("""{"userId":"a","userId":"b","event":"E"}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Given_an_event_over_32KB_when_posted_then_413()
    {
        var response = await fixture.Client().PostAsync("/v1/track",
            Json($$$"""{"userId":"u","event":"Big","properties":{"blob":"{{{new string('x', 33 * 1024)}}}"}}"""));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Given_a_batch_of_more_than_2500_events_when_posted_then_413()
    {
        var events = string.Join(",", Enumerable.Repeat("""{"type":"track","userId":"u","event":"E"}""", 2501));
        var response = await fixture.Client().PostAsync("/v1/batch", Json($$"""{"batch":[{{events}}]}"""));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Given_a_request_over_500KB_when_posted_then_413()
    {
        var events = string.Join(",", Enumerable.Repeat($$$"""{"type":"track","userId":"u","event":"E","properties":{"p":"{{{new string('y', 20_000)}}}"}}""", 30));
        var response = await fixture.Client().PostAsync("/v1/batch", Json($$"""{"batch":[{{events}}]}"""));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Given_a_gzip_body_when_posted_then_it_is_accepted()
    {
        var id = NewId();
        using var buffer = new MemoryStream();
        await using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            await gzip.WriteAsync(Encoding.UTF8.GetBytes($$"""{"messageId":"{{id}}","userId":"u","event":"Zipped"}"""));
        }
        var content = new ByteArrayContent(buffer.ToArray());
        content.Headers.ContentType = new("application/json");
        content.Headers.ContentEncoding.Add("gzip");

        var response = await fixture.Client().PostAsync("/v1/track", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await fixture.Collected.WaitForAsync(d => d.Message.GetProperty("messageId").GetString() == id);
    }

    [Fact]
    public async Task Given_a_text_plain_body_from_a_browser_when_posted_then_it_is_accepted_with_cors_headers()
    {
        var id = NewId();
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/t")
        {
            Content = Json($$"""{"writeKey":"dev-write-key","messageId":"{{id}}","anonymousId":"b","event":"Clicked"}""", "text/plain"),
        };
        request.Headers.Add("Origin", "https://shop.example.com");

        var response = await fixture.Client(writeKey: null).SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        await fixture.Collected.WaitForAsync(d => d.Message.GetProperty("messageId").GetString() == id);
    }

    [Fact]
    public async Task Given_a_cors_preflight_when_sent_then_post_and_authorization_are_allowed()
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "/v1/batch");
        request.Headers.Add("Origin", "https://shop.example.com");
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");

        var response = await fixture.Client(writeKey: null).SendAsync(request);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Contains("POST", response.Headers.GetValues("Access-Control-Allow-Methods").Single());
        Assert.Contains("authorization", response.Headers.GetValues("Access-Control-Allow-Headers").Single(), StringComparison.OrdinalIgnoreCase);
    }
}

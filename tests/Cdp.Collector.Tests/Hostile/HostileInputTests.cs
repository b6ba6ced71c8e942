using System.Net;
using System.Text;
using Cdp.Collector.Tests.Ingestion;
using Cdp.Testing;

namespace Cdp.Collector.Tests.Hostile;

/// Inputs an attacker or a broken client sends. Each must get a clear 4xx (or, when it is in fact a valid
/// event, a 200), never a 5xx; the service must stay healthy; nothing refused may reach the bus.
public class HostileInputTests(CollectorFixture fixture) : IClassFixture<CollectorFixture>
{
    private static ByteArrayContent Body(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        return content;
    }

    private static ByteArrayContent Body(string text) => Body(Encoding.UTF8.GetBytes(text));

    private async Task<HttpStatusCode> PostAsync(string path, ByteArrayContent body, string? writeKey = "dev-write-key")
    {
        using var response = await fixture.Client(writeKey).PostAsync(path, body);
        var status = response.StatusCode;
        Assert.True((int)status < 500, $"{path} answered {(int)status}: {await response.Content.ReadAsStringAsync()}");
        return status;
    }

    [Fact]
    public async Task Given_hostile_bodies_when_posted_then_each_gets_a_4xx_and_none_reaches_the_bus()
    {
        var marker = Guid.NewGuid().ToString("N");
        var deep = string.Concat(Enumerable.Repeat("{\"a\":", 5000)) + "1" + new string('}', 5000);
        var cases = new (string Path, ByteArrayContent Body, HttpStatusCode Expected)[]
        {
            ("/v1/track", Body($$"""{"userId":"u","event":"E","messageId":"{{marker}}-trunc","properties":{"a":[1,2"""), HttpStatusCode.BadRequest),
            ("/v1/track", Body(new byte[] { 0x7b, 0x22, 0x75, 0x73, 0x65, 0x72, 0x49, 0x64, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d }), HttpStatusCode.BadRequest),
            ("/v1/track", Body($$"""{"userId":"u","event":"E","messageId":"{{marker}}-deep","properties":{{deep}}}"""), HttpStatusCode.BadRequest),
            ("/v1/track", Body(new string('[', 100_000)), HttpStatusCode.BadRequest),
            ("/v1/track", Body(new byte[10 * 1024 * 1024]), HttpStatusCode.RequestEntityTooLarge),
            ("/v1/batch", Body("{\"batch\":[" + string.Join(",", Enumerable.Repeat("1", 300_000)) + "]}"), HttpStatusCode.RequestEntityTooLarge),
            ("/v1/track", Body($$"""{"userId":{"$ne":null},"event":"E","messageId":"{{marker}}-obj"}"""), HttpStatusCode.BadRequest),
            ("/v1/track", Body($$"""{"userId":"u","event":["E"],"messageId":"{{marker}}-arr"}"""), HttpStatusCode.BadRequest),
            ("/v1/track", Body($$"""{"userId":"u","event":"E","timestamp":"the day after tomorrow","messageId":"{{marker}}-ts"}"""), HttpStatusCode.BadRequest),
            ("/v1/identify", Body($$"""{"userId":"u","traits":"not an object","messageId":"{{marker}}-traits"}"""), HttpStatusCode.BadRequest),
            ("/v1/identify", Body($$"""{"traits":{"email":"a@b.c"},"messageId":"{{marker}}-noid"}"""), HttpStatusCode.BadRequest),
            ("/v1/batch", Body($$"""{"batch":"everything","messageId":"{{marker}}-batch"}"""), HttpStatusCode.BadRequest),
            ("/v1/track", Body("null"), HttpStatusCode.BadRequest),
            ("/v1/track", Body($$$"""{"userId":"u","event":"E","messageId":"{{{marker}}}-nul","properties":{"a":"x\u0000y"}}"""), HttpStatusCode.BadRequest),
            ("/v1/track", Body($$$"""{"userId":"u","event":"E","messageId":"{{{marker}}}-sur","properties":{"\udc00":1}}"""), HttpStatusCode.BadRequest),
            ("/v1/track", Body(""), HttpStatusCode.BadRequest),
        };
        foreach (var (path, body, expected) in cases)
        {
            Assert.Equal(expected, await PostAsync(path, body));
        }
        // Wrong, missing and injected write keys.
        foreach (var key in new[] { null, "", "wrong", "dev-write-key' OR '1'='1", new string('k', 10_000) })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync("/v1/track", Body($$"""{"userId":"u","event":"E","messageId":"{{marker}}-key"}"""), key));
        }

        await Eventually.TrueAsync(async () => (await fixture.Client().GetAsync("/health/ready")).IsSuccessStatusCode);
        await Task.Delay(500);
        Assert.DoesNotContain(fixture.Collected.Received, d => d.Message.GetRawText().Contains(marker));
    }

    [Fact]
    public async Task Given_strange_but_valid_values_when_posted_then_they_are_accepted_and_arrive_byte_for_byte()
    {
        var id = Guid.NewGuid().ToString();
        const string strange = """{"sql":"'; DROP TABLE mt_events; --","script":"<script>alert(1)</script>","emoji":"👩🏽‍💻","rtl":"\u202Eevil","big":1e308,"tiny":-0.0,"long":"""
            + "\"" + "x" + "\"";
        var status = await PostAsync("/v1/track", Body($$$"""
            {"userId":"null","event":"E","messageId":"{{{id}}}","timestamp":"1970-01-01T00:00:00Z","properties":{{{strange}}}}}
            """));
        Assert.Equal(HttpStatusCode.OK, status);
        var delivered = await fixture.Collected.WaitForAsync(d => d.Message.GetRawText().Contains(id));
        var properties = delivered.Message.GetProperty("message").GetProperty("properties");
        Assert.Equal("'; DROP TABLE mt_events; --", properties.GetProperty("sql").GetString());
        Assert.Equal("👩🏽‍💻", properties.GetProperty("emoji").GetString());
        Assert.Equal("1e308", properties.GetProperty("big").GetRawText());
    }

    [Fact]
    public async Task Given_many_generated_mutations_of_a_valid_event_when_posted_then_none_gets_a_5xx()
    {
        var random = new Random(20261128);
        var valid = Encoding.UTF8.GetBytes("""{"userId":"u1","event":"Order Completed","messageId":"m","timestamp":"2026-11-28T10:00:00Z","properties":{"revenue":19.9,"items":[{"sku":"a"}]},"context":{"traits":{"email":"A@B.C"}}}""");
        var fragments = new[] { "{", "}", "[", "]", "\"", ",", ":", "null", "true", "1e999", "-", "\\u0000", "\\ud800", "\u00ff", "\"userId\":", "\"messageId\":1" };
        var outcomes = new Dictionary<HttpStatusCode, int>();
        for (var i = 0; i < 2000; i++)
        {
            var bytes = valid.ToList();
            for (var m = 0; m < 1 + random.Next(4) && bytes.Count > 0; m++)
            {
                var at = random.Next(bytes.Count);
                switch (random.Next(4))
                {
                    case 0: bytes.RemoveAt(at); break;
                    case 1: bytes.Insert(at, (byte)random.Next(256)); break;
                    case 2: bytes.InsertRange(at, Encoding.UTF8.GetBytes(fragments[random.Next(fragments.Length)])); break;
                    default: bytes.RemoveRange(at, bytes.Count - at); break;
                }
            }
            var status = await PostAsync(random.Next(3) == 0 ? "/v1/batch" : "/v1/track", Body(bytes.ToArray()));
            outcomes[status] = outcomes.GetValueOrDefault(status) + 1;
        }
        Assert.True(outcomes.GetValueOrDefault(HttpStatusCode.BadRequest) > 500, string.Join(", ", outcomes));
        Assert.True((await fixture.Client().GetAsync("/health/ready")).IsSuccessStatusCode);
    }
}

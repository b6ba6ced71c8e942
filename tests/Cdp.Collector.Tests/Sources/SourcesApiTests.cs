using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Cdp.Collector.Tests.Ingestion;

namespace Cdp.Collector.Tests.Sources;

public class SourcesApiTests(CollectorFixture fixture) : IClassFixture<CollectorFixture>
{
    private HttpClient Admin(string token = "dev-admin-token")
    {
        var client = fixture.Factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private Task<HttpResponseMessage> TrackAsync(string writeKey) =>
        fixture.Client(writeKey).PostAsync("/v1/track", new StringContent("""{"userId":"u","event":"E"}""", Encoding.UTF8, "application/json"));

    [Fact]
    public async Task Given_no_or_a_wrong_admin_token_when_listing_sources_then_401()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.Factory.CreateClient().GetAsync("/v1/admin/sources")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Admin("dev-read-token").GetAsync("/v1/admin/sources")).StatusCode);
    }

    [Fact]
    public async Task Given_the_admin_token_when_listing_then_configured_sources_are_shown()
    {
        var sources = await Admin().GetFromJsonAsync<JsonElement>("/v1/admin/sources");

        Assert.Contains(sources.EnumerateArray(), s => s.GetProperty("id").GetString() == "dev" && s.GetProperty("dataParty").GetString() == "first");
    }

    [Fact]
    public async Task Given_a_new_source_when_created_disabled_and_deleted_then_its_write_key_follows()
    {
        var id = "vendor-" + Guid.NewGuid().ToString("N")[..8];
        var key = "key-" + id;

        var created = await Admin().PutAsJsonAsync($"/v1/admin/sources/{id}", new { name = "Vendor", writeKey = key, dataParty = "third" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await TrackAsync(key)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await Admin().PutAsJsonAsync($"/v1/admin/sources/{id}", new { enabled = false })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await TrackAsync(key)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await Admin().DeleteAsync($"/v1/admin/sources/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await TrackAsync(key)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Admin().GetAsync($"/v1/admin/sources/{id}")).StatusCode);
    }

    [Fact]
    public async Task Given_an_invalid_source_when_saved_then_400_names_the_problem()
    {
        var response = await Admin().PutAsJsonAsync("/v1/admin/sources/bad", new { writeKey = "k-bad", dataParty = "fourth" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("dataParty", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Given_a_source_over_its_rate_limit_when_posting_then_429_with_retry_after()
    {
        var events = string.Join(",", Enumerable.Repeat("""{"type":"track","userId":"u","event":"E"}""", 5));
        var batch = new StringContent($$"""{"batch":[{{events}}]}""", Encoding.UTF8, "application/json");

        // Both at once: sent one after the other, the bucket could refill in between on a slow machine (once a second).
        var responses = await Task.WhenAll(fixture.Client("limited-key").PostAsync("/v1/batch", batch),
            fixture.Client("limited-key").PostAsync("/v1/batch", new StringContent($$"""{"batch":[{{events}}]}""", Encoding.UTF8, "application/json")));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.TooManyRequests], responses.Select(r => r.StatusCode).Order());
        var refused = responses.Single(r => r.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
    }
}

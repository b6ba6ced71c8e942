using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Cdp.Contracts.Profiles;
using Cdp.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Cdp.Activation.Tests.Profiles;

public class ProfileChangedTests(ActivationFixture fixture) : IClassFixture<ActivationFixture>
{
    private static ProfileChanged Changed(string id, long version, string email) => new(id, version, Guid.NewGuid().ToString(), ["email"],
        new ProfileSnapshot(new Dictionary<string, IReadOnlyList<string>> { ["user_id"] = ["u"] },
            new Dictionary<string, JsonElement> { ["email"] = JsonSerializer.SerializeToElement(email) }, version, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow),
        DateTimeOffset.UtcNow);

    [Fact]
    public async Task Given_an_older_version_after_a_newer_one_when_consumed_then_the_newer_snapshot_stays()
    {
        var id = "p" + Guid.NewGuid().ToString("N");
        var client = fixture.BearerClient("dev-read-token");

        await fixture.PublishAsync(Changed(id, 3, "new@example.com"));
        await Eventually.TrueAsync(async () => (await client.GetAsync($"/v1/activation/profiles/{id}")).IsSuccessStatusCode);
        await fixture.PublishAsync(Changed(id, 2, "old@example.com"));
        await fixture.Environment.WaitForQuietQueuesAsync();

        var state = await client.GetFromJsonAsync<JsonElement>($"/v1/activation/profiles/{id}");
        Assert.Equal(3, state.GetProperty("version").GetInt64());
        Assert.Equal("new@example.com", state.GetProperty("snapshot").GetProperty("traits").GetProperty("email").GetString());
    }
}

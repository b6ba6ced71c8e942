using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Cdp.IdentityResolution.Identities.Resolving;
using Cdp.IdentityResolution.Tests.Identities.Resolving;
using Cdp.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Cdp.IdentityResolution.Tests.Identities.Api;

public class IdentityApiTests(IdentityFixture fixture) : IClassFixture<IdentityFixture>
{
    private EventResolution Resolution => fixture.Factory.Services.GetRequiredService<EventResolution>();

    private HttpClient Reader() => fixture.BearerClient("dev-read-token");

    [Fact]
    public async Task Given_a_visit_an_alias_and_a_crm_record_when_explained_then_the_chain_of_evidence_connects_them()
    {
        var run = Guid.NewGuid().ToString("N")[..10];
        var visit = Events.Collected(anonymousId: $"anon-{run}");
        var alias = Events.Collected(type: "alias", userId: $"user-{run}") with
        {
            Message = JsonSerializer.SerializeToElement(new { type = "alias", userId = $"user-{run}", previousId = $"anon-{run}" }),
        };
        var crm = Events.Collected(type: "identify", userId: $"user-{run}", traits: $$"""{"email":"{{run}}@example.com"}""", source: "crm");
        foreach (var e in new[] { visit, alias, crm }) await Resolution.ResolveAsync(e, default);

        var explanation = await Reader().GetFromJsonAsync<JsonElement>(
            $"/v1/identity/explain?a=anonymous_id:anon-{run}&b=email:{run}@example.com");

        Assert.True(explanation.GetProperty("connected").GetBoolean());
        var links = explanation.GetProperty("links").EnumerateArray().ToList();
        Assert.Equal(2, links.Count);
        Assert.Equal(alias.MessageId, links[0].GetProperty("messageId").GetString());
        Assert.Equal(crm.MessageId, links[1].GetProperty("messageId").GetString());
        Assert.Equal("crm", links[1].GetProperty("sourceId").GetString());
    }

    [Fact]
    public async Task Given_two_users_sharing_a_device_when_explained_then_they_are_not_connected_and_the_refusal_is_on_record()
    {
        var run = Guid.NewGuid().ToString("N")[..10];
        JsonElement Open(string user) => JsonSerializer.SerializeToElement(new { type = "track", userId = user, @event = "Open", context = new { device = new { id = $"ipad-{run}" } } });
        var ann = Events.Collected(userId: $"ann-{run}") with { Message = Open($"ann-{run}") };
        var bob = Events.Collected(userId: $"bob-{run}") with { Message = Open($"bob-{run}") };
        await Resolution.ResolveAsync(ann, default);
        await Resolution.ResolveAsync(bob, default);

        var explanation = await Reader().GetFromJsonAsync<JsonElement>($"/v1/identity/explain?a=user_id:ann-{run}&b=user_id:bob-{run}");
        Assert.False(explanation.GetProperty("connected").GetBoolean());

        var bobProfile = explanation.GetProperty("profileOfB").GetString();
        var identity = await Reader().GetFromJsonAsync<JsonElement>($"/v1/identity/profiles/{bobProfile}");
        var refused = Assert.Single(identity.GetProperty("refused").EnumerateArray());
        Assert.Equal("device_id", refused.GetProperty("type").GetString());
        Assert.Equal("limit:user_id=1", refused.GetProperty("rule").GetString());
    }

    [Fact]
    public async Task Given_an_event_with_only_blocked_identifiers_when_resolved_then_it_is_listed_as_unresolvable()
    {
        var e = Events.Collected(userId: "undefined", anonymousId: "00000000");

        await Resolution.ResolveAsync(e, default);

        var list = await Reader().GetFromJsonAsync<JsonElement>("/v1/identity/unresolvable");
        var entry = list.EnumerateArray().Single(u => u.GetProperty("messageId").GetString() == e.MessageId);
        Assert.Equal(2, entry.GetProperty("dropped").GetArrayLength());
    }

    [Fact]
    public async Task Given_unknown_identifiers_or_no_token_when_reading_then_404_400_or_401()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await Reader().GetAsync("/v1/identity/lookup?identifier=user_id:nobody-" + Guid.NewGuid())).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Reader().GetAsync("/v1/identity/lookup?identifier=nocolon")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.Factory.CreateClient().GetAsync("/v1/identity/lookup?identifier=user_id:x")).StatusCode);
    }
}

using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Cdp.Contracts.Collector;
using Cdp.IdentityResolution.Identities;
using Cdp.IdentityResolution.Identities.Resolving;
using Cdp.Testing;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Polly;
using Polly.Retry;

namespace Cdp.IdentityResolution.Tests.Identities.Resolving;

/// Races on the real database: resolutions run concurrently, straight through EventResolution (so
/// no in-process partitioning serialises them), as competing service instances would.
public class ConcurrencyTests(IdentityFixture fixture) : IClassFixture<IdentityFixture>
{
    private EventResolution Resolution => fixture.Factory.Services.GetRequiredService<EventResolution>();

    private static EventCollected Identify(string traits, string? userId = null, string? anonymousId = null, string type = "identify") =>
        Events.Collected(type: type, userId: userId, anonymousId: anonymousId, traits: traits);

    private async Task<List<EventAttributed>> AttributedAsync(IEnumerable<string> messageIds)
    {
        var ids = messageIds.ToHashSet();
        await using var session = fixture.Factory.Services.GetRequiredService<IDocumentStore>().QuerySession();
        return (await session.Events.QueryRawEventDataOnly<EventAttributed>().ToListAsync()).Where(a => ids.Contains(a.Event.MessageId)).ToList();
    }

    private async Task<string> CanonicalProfileOfAsync(string identifier)
    {
        var client = fixture.BearerClient("dev-read-token");
        var found = await client.GetFromJsonAsync<JsonElement>($"/v1/identity/lookup?identifier={Uri.EscapeDataString(identifier)}");
        return found.GetProperty("profileId").GetString()!;
    }

    /// As a consumer runs it: fifty writers on one stream can lose more races than the resolution's own retries allow
    /// on a loaded machine, and then the endpoint's retry (MessagingExtensions) runs the message again.
    private Task ResolveAsConsumedAsync(EventCollected e) =>
        EndpointRetry.ExecuteAsync(async ct => await Resolution.ResolveAsync(e, ct), CancellationToken.None).AsTask();

    private static readonly ResiliencePipeline EndpointRetry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = 4,
            ShouldHandle = new PredicateBuilder().Handle<Exception>(Cdp.ServiceDefaults.Persistence.Transience.IsTransient),
        })
        .Build();

    [Fact]
    public async Task Given_fifty_events_with_the_same_new_email_at_once_when_resolved_then_exactly_one_profile_exists()
    {
        var email = $"race-{Guid.NewGuid():N}@example.com";
        var events = Enumerable.Range(0, 50).Select(i => Identify($$"""{"email":"{{email}}"}""", anonymousId: $"anon-{Guid.NewGuid():N}")).ToList();

        await Task.WhenAll(events.Select(e => Task.Run(() => ResolveAsConsumedAsync(e))));

        var attributed = await AttributedAsync(events.Select(e => e.MessageId));
        Assert.Equal(50, attributed.Count);
        Assert.Single(attributed.Select(a => a.ProfileId).Distinct());
        await using var session = fixture.Factory.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var holders = (await session.Query<IdentityProfile>().ToListAsync())
            .Count(p => p.Identifiers.Any(i => i.Type == "email" && i.Value == email));
        Assert.Equal(1, holders);
    }

    [Fact]
    public async Task Given_events_linking_A_B_and_B_C_at_once_when_resolved_then_they_end_in_one_profile()
    {
        var run = Guid.NewGuid().ToString("N");
        await Resolution.ResolveAsync(Identify("{}", anonymousId: $"a-{run}"), default);
        await Resolution.ResolveAsync(Identify($$"""{"email":"b-{{run}}@example.com"}""", anonymousId: null, userId: null, type: "identify") with
        {
            AnonymousId = $"ab-{run}",
        }, default);
        await Resolution.ResolveAsync(Identify("{}", anonymousId: $"c-{run}"), default);

        var linkAB = Identify($$"""{"email":"b-{{run}}@example.com"}""", anonymousId: $"a-{run}");
        var linkBC = Events.Collected(type: "identify", anonymousId: $"c-{run}", traits: $$"""{"email":"b-{{run}}@example.com"}""");
        await Task.WhenAll(Task.Run(() => Resolution.ResolveAsync(linkAB, default)), Task.Run(() => Resolution.ResolveAsync(linkBC, default)));

        var a = await CanonicalProfileOfAsync($"anonymous_id:a-{run}");
        Assert.Equal(a, await CanonicalProfileOfAsync($"email:b-{run}@example.com"));
        Assert.Equal(a, await CanonicalProfileOfAsync($"anonymous_id:c-{run}"));
    }

    [Fact]
    public async Task Given_the_same_event_resolved_twice_concurrently_then_the_ingest_log_holds_it_once()
    {
        var e = Identify("{}", userId: $"twice-{Guid.NewGuid():N}");

        await Task.WhenAll(Task.Run(() => Resolution.ResolveAsync(e, default)), Task.Run(() => Resolution.ResolveAsync(e, default)));

        Assert.Single(await AttributedAsync([e.MessageId]));
    }
}

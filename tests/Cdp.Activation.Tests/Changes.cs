using System.Net.Http.Json;
using System.Text.Json;
using Cdp.Contracts.Profiles;
using Cdp.Testing;
using RabbitMQ.Client;

namespace Cdp.Activation.Tests;

/// What ProfileProjection would publish, and the calls every activation test makes.
public static class Changes
{
    public static ProfileChanged Profile(string id, long version, string traitsJson, string? mergedInto = null,
        Dictionary<string, IReadOnlyDictionary<string, int>>? daily = null, string? email = null) => new(
        id, version, Guid.NewGuid().ToString(), [],
        new ProfileSnapshot(
            new Dictionary<string, IReadOnlyList<string>> { ["user_id"] = [$"user-{id}"], ["email"] = [email ?? $"{id}@example.com"] },
            JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(traitsJson)!, version, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow,
            DailyCounts: daily),
        DateTimeOffset.UtcNow, mergedInto);

    public static string NewKey(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];

    /// A rule only this test's profiles match: an audience defined while other tests' profiles are in the database
    /// enters those that match it (its backfill), and their changes would reach this test's destination too.
    public static string PlanIs(string key) => $$"""{"trait":"plan","op":"eq","value":"{{key}}"}""";

    /// The traits that match <see cref="PlanIs"/>.
    public static string Plan(string key) => $$"""{"plan":"{{key}}"}""";

    public static string NewProfileId() => $"p{Guid.NewGuid():N}";

    public static async Task DefineAsync(this ActivationFixture fixture, string key, string ruleJson, string? includeTraits = null)
    {
        var response = await fixture.Admin.PostAsync("/v1/audiences", JsonContent.Create(JsonDocument.Parse(
            $$"""{"key":"{{key}}","name":"Audience {{key}}","rule":{{ruleJson}},"includeTraits":{{includeTraits ?? "[]"}}}""").RootElement));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    /// Waits until the audience's backfill for its current version has completed.
    public static async Task<JsonElement> BackfilledAsync(this ActivationFixture fixture, string key, long version = 1)
    {
        var json = await Eventually.GetAsync(async () =>
        {
            var text = await fixture.Admin.GetStringAsync($"/v1/audiences/{key}");
            var backfill = JsonDocument.Parse(text).RootElement.GetProperty("backfill");
            return backfill.GetProperty("status").GetString() == "completed" && backfill.GetProperty("audienceVersion").GetInt64() >= version ? text : null;
        }, what: $"audience {key} version {version} to be backfilled");
        return JsonDocument.Parse(json).RootElement.Clone();
    }

    public const string WebhookSecret = "0123456789abcdef-test-secret";

    /// Subscribes a webhook at <paramref name="url"/> to the audience's changes; returns the subscription's id.
    public static async Task<string> SubscribeWebhookAsync(this ActivationFixture fixture, string key, string url, string format = "json")
    {
        var response = await fixture.Admin.PostAsync($"/v1/audiences/{key}/subscriptions", new StringContent(
            $$"""{"type":"webhook","url":"{{url}}","secret":"{{WebhookSecret}}","format":"{{format}}"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    /// A consumer's own queue bound to the audience-changes topic exchange.
    public static Task<BusProbe> ProbeAsync(this ActivationFixture fixture, string bindingKey) =>
        BusProbe.StartAsync(fixture.Environment.RabbitMq, Contracts.Activation.AudienceMembershipChanged.Exchange, ExchangeType.Topic, bindingKey);

    public static async Task<JsonElement> MembershipsAsync(this ActivationFixture fixture, string profileId) =>
        await fixture.Admin.GetFromJsonAsync<JsonElement>($"/v1/activation/profiles/{profileId}/memberships");
}

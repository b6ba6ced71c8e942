using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cdp.Contracts;
using Cdp.Contracts.Collector;
using Cdp.Contracts.Identity;
using Cdp.ProfileProjection.Profiles;
using Cdp.ProfileProjection.Profiles.Api;
using Cdp.Testing;

namespace Cdp.ProfileProjection.Tests.Profiles;

public sealed class ComputedProfileFixture() : ServiceFixture<Program>("profilesredelivery", settings: ComputedSettings())
{
    private static Dictionary<string, string?> ComputedSettings()
    {
        var settings = new Dictionary<string, string?>();
        for (var i = 0; i < ProfileHistories.Computed.Count; i++)
        {
            var c = ProfileHistories.Computed[i];
            settings[$"Cdp:Profiles:ComputedTraits:{i}:Name"] = c.Name;
            settings[$"Cdp:Profiles:ComputedTraits:{i}:Event"] = c.Event;
            settings[$"Cdp:Profiles:ComputedTraits:{i}:Property"] = c.Property;
            settings[$"Cdp:Profiles:ComputedTraits:{i}:Aggregate"] = c.Aggregate;
        }
        return settings;
    }
}

/// The real service, fed a history shuffled and with every event delivered twice, ends with exactly
/// the profile the pure projection gives for the history once, in order.
public class RedeliveryTests(ComputedProfileFixture fixture) : IClassFixture<ComputedProfileFixture>
{
    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public async Task Given_a_shuffled_history_delivered_twice_when_recorded_then_the_profile_equals_the_history_applied_once(int seed)
    {
        var profileId = "p" + Guid.NewGuid().ToString("N");
        var history = ProfileHistories.Generate(seed, 30, profileId);
        var deliveries = history.Concat(history).Select(e => ToResolved(profileId, e)).ToList();
        new Random(seed).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(deliveries));

        foreach (var delivery in deliveries) await fixture.PublishAsync(delivery);
        await Eventually.TrueAsync(async () => await Profile(profileId) is { } p && p["eventCount"]!.GetValue<int>() >= history.Count);
        await fixture.Environment.WaitForQuietQueuesAsync();

        var expected = ProfileHistories.Apply([new IdentifiersLinked(profileId, [new Identifier("user_id", profileId)], "", DateTimeOffset.UtcNow), .. history], profileId);
        var expectedView = JsonSerializer.SerializeToNode(ProfileView.Of(expected), new JsonSerializerOptions(JsonSerializerDefaults.Web))!.AsObject();
        var actual = (await Profile(profileId))!;
        expectedView.Remove("version");
        actual.Remove("version");
        Assert.True(JsonNode.DeepEquals(Normalise(expectedView), Normalise(actual)), $"expected {expectedView}\nactual   {actual}");
    }

    private async Task<JsonObject?> Profile(string id)
    {
        var response = await fixture.BearerClient("dev-read-token").GetAsync($"/v1/profiles/{id}");
        return response.IsSuccessStatusCode ? JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject() : null;
    }

    // Dates compare as instants and numbers as values, whatever their textual form.
    private static JsonNode? Normalise(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Normalise(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(Normalise)]),
        JsonValue v when v.GetValueKind() == JsonValueKind.String && DateTimeOffset.TryParse(v.GetValue<string>(), out var t) && v.GetValue<string>().Contains('T') =>
            JsonValue.Create(t.UtcTicks),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => JsonValue.Create(v.GetValue<decimal>()),
        _ => node?.DeepClone(),
    };

    private static EventResolved ToResolved(string profileId, object e)
    {
        var (type, at, provenance, fields) = e switch
        {
            Identified i => ("identify", i.Timestamp, i.Provenance, new { traits = i.Traits, @event = (string?)null, name = (string?)null, groupId = (string?)null, properties = (JsonElement?)null }),
            Tracked t => ("track", t.Timestamp, t.Provenance, new { traits = (JsonElement?)null, @event = (string?)t.Event, name = (string?)null, groupId = (string?)null, properties = t.Properties }),
            PageViewed p => ("page", p.Timestamp, p.Provenance, new { traits = (JsonElement?)null, @event = (string?)null, name = p.Name, groupId = (string?)null, properties = p.Properties }),
            ScreenViewed s => ("screen", s.Timestamp, s.Provenance, new { traits = (JsonElement?)null, @event = (string?)null, name = s.Name, groupId = (string?)null, properties = s.Properties }),
            GroupJoined g => ("group", g.Timestamp, g.Provenance, new { traits = g.Traits, @event = (string?)null, name = (string?)null, groupId = (string?)g.GroupId, properties = (JsonElement?)null }),
            _ => throw new ArgumentException(e.GetType().Name),
        };
        var message = JsonSerializer.SerializeToElement(new
        {
            type, messageId = provenance.MessageId, userId = profileId, fields.traits, fields.@event, fields.name, fields.groupId, fields.properties,
        }, new JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull });
        var collected = new EventCollected(provenance.MessageId, type, profileId, null, fields.@event, at, provenance.ReceivedAt, provenance.SourceId,
            provenance.DataParty, message);
        return new EventResolved(profileId, collected, [new Identifier("user_id", profileId)], []);
    }
}

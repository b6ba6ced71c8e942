using System.Net.Http.Json;
using System.Text.Json;
using Cdp.Testing;

namespace Cdp.Activation.Tests.Memberships;

public class MembershipTests(ActivationFixture fixture) : IClassFixture<ActivationFixture>
{
    private const string ProRule = """{"trait":"plan","op":"eq","value":"pro"}""";

    [Fact]
    public async Task Given_a_profile_that_starts_and_stops_matching_when_changes_arrive_then_it_enters_and_exits_once_each_on_the_exchange()
    {
        var key = Changes.NewKey("pro");
        await fixture.DefineAsync(key, ProRule, """["plan"]""");
        await fixture.BackfilledAsync(key);
        await using var probe = await fixture.ProbeAsync($"{key}.*");
        var id = Changes.NewProfileId();

        var enteredBy = Changes.Profile(id, 1, """{"plan":"pro","secret":"s"}""");
        await fixture.PublishAsync(enteredBy);
        var entered = await probe.WaitForAsync(d => d.RoutingKey == $"{key}.entered", what: "entered");
        Assert.Equal(entered.Body.GetProperty("id").GetString(), entered.MessageId);
        Assert.Equal((key, id, "entered", "profile_changed", enteredBy.MessageId, 1L),
            (entered.Body.GetProperty("audienceKey").GetString(), entered.Body.GetProperty("profileId").GetString(),
             entered.Body.GetProperty("change").GetString(), entered.Body.GetProperty("reason").GetString(),
             entered.Body.GetProperty("messageId").GetString(), entered.Body.GetProperty("profileVersion").GetInt64()));
        Assert.Equal($"{id}@example.com", entered.Body.GetProperty("identifiers").GetProperty("email")[0].GetString());
        Assert.Equal("""{"plan":"pro"}""", entered.Body.GetProperty("traits").GetRawText());
        Assert.Equal("application/json", entered.Header("content-type") ?? "application/json");

        var members = await fixture.Admin.GetFromJsonAsync<JsonElement>($"/v1/audiences/{key}/members");
        Assert.Equal(1, members.GetProperty("size").GetInt32());
        Assert.Equal(id, members.GetProperty("members")[0].GetProperty("profileId").GetString());

        var leaving = Changes.Profile(id, 2, """{"plan":"free"}""");
        await fixture.PublishAsync(leaving);
        await probe.WaitForAsync(d => d.RoutingKey == $"{key}.exited", what: "exited");
        // The same change again, and an older one late: neither changes anything.
        await fixture.PublishAsync(leaving);
        await fixture.PublishAsync(enteredBy);
        await fixture.Environment.WaitForQuietQueuesAsync();
        await Task.Delay(500);

        Assert.Equal(2, probe.Received.Count);
        var history = (await fixture.MembershipsAsync(id)).GetProperty("history").EnumerateArray().ToList();
        Assert.Equal(["exited", "entered"], history.Select(h => h.GetProperty("change").GetString()));
        Assert.Equal(0, (await fixture.Admin.GetFromJsonAsync<JsonElement>($"/v1/audiences/{key}/members")).GetProperty("size").GetInt32());
    }

    [Fact]
    public async Task Given_a_member_merged_into_another_profile_when_the_change_arrives_then_it_exits_and_the_survivor_enters()
    {
        var key = Changes.NewKey("merge");
        await fixture.DefineAsync(key, ProRule);
        await fixture.BackfilledAsync(key);
        await using var probe = await fixture.ProbeAsync($"{key}.*");
        var (merged, survivor) = (Changes.NewProfileId(), Changes.NewProfileId());
        await fixture.PublishAsync(Changes.Profile(merged, 1, """{"plan":"pro"}"""));
        await probe.WaitForAsync(d => d.Body.GetProperty("profileId").GetString() == merged);

        await fixture.PublishAsync(Changes.Profile(merged, 2, """{"plan":"pro"}""", mergedInto: survivor));
        await fixture.PublishAsync(Changes.Profile(survivor, 3, """{"plan":"pro"}"""));
        var exited = await probe.WaitForAsync(d => d.RoutingKey == $"{key}.exited");
        Assert.Equal((merged, "merged"), (exited.Body.GetProperty("profileId").GetString(), exited.Body.GetProperty("reason").GetString()));
        await probe.WaitForAsync(d => d.RoutingKey == $"{key}.entered" && d.Body.GetProperty("profileId").GetString() == survivor);
    }

    [Fact]
    public async Task Given_profiles_known_before_an_audience_when_it_is_defined_and_changed_then_backfills_deliver_entries_and_exits()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var ids = Enumerable.Range(0, 30).Select(i => $"p{tag}{i:D2}").ToList();
        foreach (var (id, i) in ids.Select((id, i) => (id, i)))
        {
            await fixture.PublishAsync(Changes.Profile(id, 1, $$"""{"tier":"{{(i % 2 == 0 ? "gold" : "silver")}}","cohort":"{{tag}}","n":{{i}}}"""));
        }
        // Every one, not just the last: two groups are recorded at once, so the last can be stored before an earlier one.
        await Eventually.TrueAsync(async () => (await Task.WhenAll(ids.Select(id => fixture.Admin.GetAsync($"/v1/activation/profiles/{id}"))))
            .All(r => r.IsSuccessStatusCode), what: "all 30 profiles known to Activation");
        await fixture.Environment.WaitForQuietQueuesAsync();

        var key = Changes.NewKey("gold");
        await using var probe = await fixture.ProbeAsync($"{key}.*");
        await fixture.DefineAsync(key, $$"""{"all":[{"trait":"tier","op":"eq","value":"gold"},{"trait":"cohort","op":"eq","value":"{{tag}}"}]}""");
        var audience = await fixture.BackfilledAsync(key);
        Assert.Equal(15, audience.GetProperty("size").GetInt64());
        Assert.True(audience.GetProperty("backfill").GetProperty("processed").GetInt64() >= 30);
        await Eventually.TrueAsync(() => Task.FromResult(probe.Received.Count >= 15), what: "15 entries");
        Assert.All(probe.Received, d => Assert.Equal("backfill", d.Body.GetProperty("reason").GetString()));
        Assert.Equal(15, probe.Received.Count);
        Assert.Equal(ids.Where((_, i) => i % 2 == 0).Order(), probe.Received.Select(d => d.Body.GetProperty("profileId").GetString()).Order());

        // Narrow the rule to n < 15: the gold profiles 16, 18, ... 28 (seven) exit.
        var response = await fixture.Admin.PutAsync($"/v1/audiences/{key}", JsonContent.Create(JsonDocument.Parse($$$"""
            {"rule":{"all":[{"trait":"tier","op":"eq","value":"gold"},{"trait":"cohort","op":"eq","value":"{{{tag}}}"},{"trait":"n","op":"lt","value":15}]}}
            """).RootElement));
        response.EnsureSuccessStatusCode();
        Assert.Equal(8, (await fixture.BackfilledAsync(key, version: 2)).GetProperty("size").GetInt64());
        await Eventually.TrueAsync(() => Task.FromResult(probe.Received.Count(d => d.RoutingKey == $"{key}.exited") == 7), what: "7 exits");
        Assert.Equal(ids.Where((_, i) => i % 2 == 0 && i >= 15).Order(),
            probe.Received.Where(d => d.RoutingKey == $"{key}.exited").Select(d => d.Body.GetProperty("profileId").GetString()).Order());

        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await fixture.Admin.DeleteAsync($"/v1/audiences/{key}")).StatusCode);
        await Eventually.TrueAsync(() => Task.FromResult(probe.Received.Count(d => d.RoutingKey == $"{key}.exited") == 15), what: "8 more exits after deletion");
        // Which message and profile each exit came from: a repeat of one message (the outbox delivers at least once) and
        // a second exit of one profile (a double count) fail this the same way, and only the ids tell them apart.
        var deleted = probe.Received.Where(d => d.Body.GetProperty("reason").GetString() == "audience_deleted")
            .Select(d => $"{d.MessageId} {d.Body.GetProperty("profileId").GetString()}").ToList();
        Assert.True(deleted.Count == 8, $"Expected 8 exits for the deletion, got {deleted.Count}: {string.Join(", ", deleted)}");
        Assert.Equal(15 + 15, probe.Received.Count);
    }

    [Fact]
    public async Task Given_members_when_exported_then_the_csv_lists_each_with_its_identifiers()
    {
        var key = Changes.NewKey("csv");
        await fixture.DefineAsync(key, """{"trait":"csv","op":"eq","value":true}""");
        await fixture.BackfilledAsync(key);
        var ids = Enumerable.Range(0, 3).Select(_ => Changes.NewProfileId()).ToList();
        foreach (var id in ids) await fixture.PublishAsync(Changes.Profile(id, 1, """{"csv":true}""", email: $"=cmd|{id}@example.com"));
        await Eventually.TrueAsync(async () =>
            (await fixture.Admin.GetFromJsonAsync<JsonElement>($"/v1/audiences/{key}/members")).GetProperty("size").GetInt32() == 3);

        var page = await fixture.Admin.GetFromJsonAsync<JsonElement>($"/v1/audiences/{key}/members?limit=2");
        Assert.Equal(2, page.GetProperty("members").GetArrayLength());
        var next = await fixture.Admin.GetFromJsonAsync<JsonElement>($"/v1/audiences/{key}/members?limit=2&after={page.GetProperty("next").GetString()}");
        Assert.Equal(1, next.GetProperty("members").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, next.GetProperty("next").ValueKind);

        var csv = (await fixture.Admin.GetStringAsync($"/v1/audiences/{key}/members.csv")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("profile_id,since,user_id,email", csv[0]);
        Assert.Equal(ids.Order(), csv.Skip(1).Select(l => l.Split(',')[0]));
        Assert.All(csv.Skip(1), l => Assert.Contains(",'=cmd|", l));
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Cdp.Testing;

namespace Cdp.Ops.Tests;

[Collection(OpsCollection.Name)]
public sealed class RebuildTests(OpsPlatform ops)
{
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task Given_profiles_with_a_merge_when_rebuilt_while_events_arrive_then_every_profile_is_byte_identical_and_nothing_sent_meanwhile_is_lost()
    {
        for (var i = 0; i < 6; i++)
        {
            await ops.SendAsync("/v1/identify", $$$"""{"userId":"u{{{i}}}-{{{_run}}}","messageId":"{{{_run}}}-i{{{i}}}","traits":{"plan":"p{{{i}}}","email":"u{{{i}}}-{{{_run}}}@example.com"}}""");
            await ops.SendAsync("/v1/track", $$$"""{"userId":"u{{{i}}}-{{{_run}}}","messageId":"{{{_run}}}-t{{{i}}}","event":"Order Completed","properties":{"revenue":{{{i + 1}}}.5}}""");
        }
        await ops.SendAsync("/v1/track", $$"""{"anonymousId":"phone-{{_run}}","messageId":"{{_run}}-m1","event":"Viewed"}""");
        await ops.SendAsync("/v1/identify", $$$"""{"anonymousId":"laptop-{{{_run}}}","messageId":"{{{_run}}}-m2","traits":{"email":"m-{{{_run}}}@example.com","plan":"pro"}}""");
        await ops.SendAsync("/v1/identify", $$$"""{"anonymousId":"phone-{{{_run}}}","messageId":"{{{_run}}}-m3","traits":{"email":"m-{{{_run}}}@example.com"}}""");
        await Eventually.TrueAsync(async () =>
            await ops.Platform.ProfileAsync($"anonymous_id:phone-{_run}") is { } p && p.GetProperty("eventCount").GetInt32() == 3, what: "the merged profile");
        await ops.Platform.Environment.WaitForQuietQueuesAsync();
        var before = await ops.DocumentsAsync("profiles.mt_doc_customerprofile");
        // Damage two profiles, as a bug in a projection would: the rebuild must restore them from the events.
        var damaged = before.Where(d => d.Data.Contains($"u0-{_run}") || d.Data.Contains($"u1-{_run}")).Select(d => d.Id).ToList();
        Assert.Equal(2, damaged.Count);
        Assert.Equal(1, await ops.ExecuteAsync($"update profiles.mt_doc_customerprofile set data = jsonb_set(data, '{{EventCount}}', '999') where id = '{damaged[0]}'"));
        Assert.Equal(1, await ops.ExecuteAsync($"delete from profiles.mt_doc_customerprofile where id = '{damaged[1]}'"));

        var rebuild = ops.OpsAsync("rebuild", "profiles", "--json");
        var during = Task.Run(async () =>
        {
            for (var i = 0; i < 20; i++)
            {
                await ops.SendAsync("/v1/track", $$"""{"userId":"during-{{_run}}","messageId":"{{_run}}-d{{i}}","event":"Clicked"}""");
            }
        });
        var run = await rebuild;
        await during;

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("completed", run.Json.GetProperty("state").GetString());
        Assert.Equal(["CustomerProfile"], run.Json.GetProperty("projections").EnumerateArray().Select(p => p.GetString()));
        var duringProfile = await Eventually.GetAsync(async () =>
            await ops.Platform.ProfileAsync($"user_id:during-{_run}") is { } p && p.GetProperty("eventCount").GetInt32() == 20 ? p.ToString() : null,
            TimeSpan.FromSeconds(60), "all 20 events sent during the rebuild");
        var duringId = JsonDocument.Parse(duringProfile).RootElement.GetProperty("id").GetString();
        var after = await ops.DocumentsAsync("profiles.mt_doc_customerprofile");
        Assert.Equal(before.Where(d => d.Id != duringId), after.Where(d => d.Id != duringId));
        Assert.True(before.Count >= 8, $"only {before.Count} profiles before the rebuild");
    }

    [Fact]
    public async Task Given_audience_members_when_audiences_are_rebuilt_then_memberships_are_identical_and_the_audience_keeps_working()
    {
        using var admin = ops.Platform.Client("Activation", bearer: "dev-admin-token");
        var key = $"buyers-{_run}";
        var defined = await admin.PostAsJsonAsync("/v1/audiences", JsonDocument.Parse($$$"""
            {"key":"{{{key}}}","name":"Buyers","rule":{"event":"Purchased {{{_run}}}","op":"gte","value":1,"within_days":30}}
            """).RootElement);
        Assert.Equal(HttpStatusCode.Created, defined.StatusCode);
        for (var i = 0; i < 3; i++)
        {
            await ops.SendAsync("/v1/track", $$"""{"userId":"b{{i}}-{{_run}}","messageId":"{{_run}}-p{{i}}","event":"{{(i < 2 ? $"Purchased {_run}" : "Browsed")}}"}""");
        }
        await Eventually.TrueAsync(async () => await SizeAsync(admin, key) == 2, TimeSpan.FromSeconds(60), "two members");
        await ops.Platform.Environment.WaitForQuietQueuesAsync();
        string[] tables = ["activation.mt_doc_audience", "activation.mt_doc_profilememberships", "activation.mt_doc_audiencemember"];
        var before = await Task.WhenAll(tables.Select(ops.DocumentsAsync));
        Assert.Equal(2, await ops.ExecuteAsync($"delete from activation.mt_doc_audiencemember where data->>'AudienceKey' = '{key}'"));

        var run = await ops.OpsAsync("rebuild", "audiences", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["Audience", "ProfileMemberships", "AudienceMember"], run.Json.GetProperty("projections").EnumerateArray().Select(p => p.GetString()));
        var after = await Task.WhenAll(tables.Select(ops.DocumentsAsync));
        for (var t = 0; t < tables.Length; t++) Assert.Equal(before[t], after[t]);
        Assert.Contains(before[2], m => m.Data.Contains(key));

        await ops.SendAsync("/v1/track", $$"""{"userId":"b2-{{_run}}","messageId":"{{_run}}-p3","event":"Purchased {{_run}}"}""");
        await Eventually.TrueAsync(async () => await SizeAsync(admin, key) == 3, TimeSpan.FromSeconds(60), "the third member after the rebuild");
    }

    private static async Task<int> SizeAsync(HttpClient client, string key)
    {
        var response = await client.GetAsync($"/v1/audiences/{key}/members");
        return response.IsSuccessStatusCode ? (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("size").GetInt32() : -1;
    }
}

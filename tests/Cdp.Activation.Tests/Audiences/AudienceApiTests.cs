using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Cdp.Activation.Tests.Audiences;

public class AudienceApiTests(ActivationFixture fixture) : IClassFixture<ActivationFixture>
{
    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task Given_an_invalid_rule_when_posted_then_400_names_every_path_and_problem_and_nothing_is_stored()
    {
        var key = Changes.NewKey("bad");
        var response = await fixture.Admin.PostAsync("/v1/audiences", Body($$$"""
            {"key":"{{{key}}}","rule":{"all":[{"trait":"plan","op":"equals","value":"pro"},{"event":"Order Completed","op":"gte","value":"3"},{"trait":"x","op":"eq","value":1,"extra":true}]},"colour":1}
            """));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var paths = problem.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("path").GetString()).ToList();
        Assert.Equal(["$.colour", "$.rule.all[0].op", "$.rule.all[1].value", "$.rule.all[2].extra"], paths.Order());
        Assert.Contains("unknown operator \"equals\"", problem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Admin.GetAsync($"/v1/audiences/{key}")).StatusCode);
    }

    [Fact]
    public async Task Given_bad_keys_or_json_when_posted_then_400_names_the_field()
    {
        var response = await fixture.Admin.PostAsync("/v1/audiences", Body("""{"key":"Has Spaces.and.dots","rule":{"has_identifier":"email"}}"""));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("$.key", await response.Content.ReadAsStringAsync());
        response = await fixture.Admin.PostAsync("/v1/audiences", Body("""{"key":"x","rule":"""));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("not valid JSON", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Given_oversized_or_hostile_bodies_when_posted_then_400_and_the_service_stays_up()
    {
        var huge = await fixture.Admin.PostAsync("/v1/audiences", Body("""{"key":"huge","rule":{"any":[""" + string.Join(",", Enumerable.Repeat("""{"has_identifier":"email"}""", 5000)) + "]}}"));
        Assert.Equal(HttpStatusCode.BadRequest, huge.StatusCode);
        Assert.Contains("larger than 64 KB", await huge.Content.ReadAsStringAsync());
        foreach (var body in new[] { "null", "[]", "\"x\"", """{"key":"x","rule":null}""", """{"key":"x","rule":{"trait":1e999,"op":"eq","value":1}}""", new string('{', 10_000) })
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await fixture.Admin.PostAsync("/v1/audiences", Body(body))).StatusCode);
        }
        Assert.True((await fixture.Admin.GetAsync("/health/ready")).IsSuccessStatusCode);
    }

    [Fact]
    public async Task Given_no_admin_token_when_writing_then_401_and_the_read_token_may_only_read()
    {
        var key = Changes.NewKey("auth");
        var body = $$$"""{"key":"{{{key}}}","rule":{"has_identifier":"email"}}""";
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.BearerClient(null).PostAsync("/v1/audiences", Body(body))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.BearerClient("dev-read-token").PostAsync("/v1/audiences", Body(body))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await fixture.Admin.PostAsync("/v1/audiences", Body(body))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await fixture.BearerClient("dev-read-token").GetAsync($"/v1/audiences/{key}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.BearerClient("wrong").GetAsync($"/v1/audiences/{key}")).StatusCode);
    }

    [Fact]
    public async Task Given_an_audience_when_created_changed_and_deleted_then_its_history_keeps_every_version()
    {
        var key = Changes.NewKey("crud");
        Assert.Equal(HttpStatusCode.Created, (await fixture.Admin.PostAsync("/v1/audiences",
            Body($$$"""{"key":"{{{key}}}","name":"Pro users","rule":{"trait":"plan","op":"eq","value":"pro"}}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await fixture.Admin.PostAsync("/v1/audiences",
            Body($$$"""{"key":"{{{key}}}","rule":{"trait":"plan","op":"eq","value":"pro"}}"""))).StatusCode);
        var changed = await fixture.Admin.PutAsync($"/v1/audiences/{key}", Body("""{"rule":{"trait":"plan","op":"in","value":["pro","team"]},"includeTraits":["plan"]}"""));
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        var view = await changed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, view.GetProperty("version").GetInt64());
        Assert.Equal("Pro users", view.GetProperty("name").GetString());
        Assert.Equal("in", view.GetProperty("rule").GetProperty("op").GetString());

        var list = await fixture.Admin.GetFromJsonAsync<JsonElement>("/v1/audiences");
        Assert.Contains(list.GetProperty("audiences").EnumerateArray(), a => a.GetProperty("key").GetString() == key);
        Assert.Equal(HttpStatusCode.NoContent, (await fixture.Admin.DeleteAsync($"/v1/audiences/{key}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Admin.GetAsync($"/v1/audiences/{key}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Admin.PutAsync($"/v1/audiences/{key}", Body("""{"rule":{"has_identifier":"email"}}"""))).StatusCode);

        var history = await fixture.Admin.GetFromJsonAsync<JsonElement>($"/v1/audiences/{key}/history");
        Assert.Equal(["audience_defined", "audience_rule_changed", "audience_deleted"],
            history.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("type").GetString()));
    }
}

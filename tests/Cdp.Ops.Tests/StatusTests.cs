using Cdp.Testing;

namespace Cdp.Ops.Tests;

[Collection(OpsCollection.Name)]
public sealed class StatusTests(OpsPlatform ops)
{
    [Fact]
    public async Task Given_the_platform_running_when_status_runs_then_it_exits_0_with_every_service_ready_its_queues_consumed_and_subscriptions()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        await ops.SendAsync("/v1/track", $$"""{"userId":"s-{{run}}","messageId":"{{run}}-s","event":"Checked"}""");
        await ops.WaitStoredAsync(run, 1);

        // The profile publisher's progress, which status reports, is recorded once it has published the stored event:
        // a moment after the event is stored, longer on a busy machine.
        var status = await Eventually.GetAsync(async () =>
        {
            var run = await ops.OpsAsync("status", "--json");
            return run.Json.GetProperty("subscriptions").EnumerateArray().Any(IsProfilePublisher) ? run : null;
        }, what: "status with the profile publisher among its subscriptions", onTimeout: async () => (await ops.OpsAsync("status", "--json")).ToString());

        Assert.True(status.ExitCode == 0, status.ToString());
        var report = status.Json;
        Assert.Equal(["Collector", "IdentityResolution", "ProfileProjection", "Activation"],
            report.GetProperty("services").EnumerateArray().Where(s => s.GetProperty("ready").GetBoolean()).Select(s => s.GetProperty("name").GetString()));
        var queues = report.GetProperty("queues").EnumerateArray().ToDictionary(q => q.GetProperty("name").GetString()!);
        foreach (var consumed in new[] { "identity-events-collected", "profiles-events-resolved", "activation-profiles-changed" })
        {
            Assert.True(queues.ContainsKey(consumed), $"{consumed} missing from {status.Output}");
        }
        Assert.Contains(report.GetProperty("subscriptions").EnumerateArray(), IsProfilePublisher);
        Assert.Equal(0, report.GetProperty("problems").GetArrayLength());
    }

    private static bool IsProfilePublisher(System.Text.Json.JsonElement s) =>
        s.GetProperty("schema").GetString() == "profiles" && s.GetProperty("name").GetString() == "profile-publisher";

    [Fact]
    public async Task Given_a_service_that_does_not_answer_when_status_runs_then_it_exits_1_and_names_the_service()
    {
        var run = await ops.OpsAsync("status", "--json", "--collector", "http://127.0.0.1:1");

        Assert.True(run.ExitCode == 1, run.ToString());
        var collector = run.Json.GetProperty("services").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "Collector");
        Assert.False(collector.GetProperty("ready").GetBoolean());
        Assert.Contains(run.Json.GetProperty("problems").EnumerateArray(), p => p.GetString()!.StartsWith("Collector is not ready"));
    }

    [Fact]
    public async Task Given_a_wrong_option_when_any_command_runs_then_it_exits_2_and_says_what_is_wrong()
    {
        var run = await ops.OpsAsync("replay", "--rate", "fast");

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("fast", run.Error);
    }

    [Fact]
    public async Task Given_no_or_a_wrong_admin_token_when_the_operator_endpoints_are_called_then_they_answer_401_and_the_cli_exits_2()
    {
        foreach (var (service, post, get) in new[]
                 {
                     ("ProfileProjection", "/v1/admin/rebuild", "/v1/admin/rebuild"), ("Activation", "/v1/admin/rebuild", "/v1/admin/rebuild"),
                     ("IdentityResolution", "/v1/admin/re-resolve/dry-run", "/v1/admin/re-resolve"),
                     ("IdentityResolution", "/v1/admin/re-resolve/apply", "/v1/admin/re-resolve"),
                 })
        {
            using var anonymous = ops.Platform.Client(service);
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await anonymous.PostAsync(post, new StringContent("{}"))).StatusCode);
            using var reader = ops.Platform.Client(service, bearer: "dev-read-token");
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await reader.PostAsync(post, new StringContent("{}"))).StatusCode);
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await reader.GetAsync(get)).StatusCode);
        }

        var run = await ops.OpsAsync("rebuild", "profiles", "--admin-token", "wrong");
        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("--admin-token", run.Error);
    }
}

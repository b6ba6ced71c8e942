using System.Net;
using Cdp.Testing;
using Npgsql;

namespace Cdp.Ops.Tests;

/// Its own Collector and IdentityResolution, so the ingest log holds only this test's events and the difference is exact.
public sealed class ReResolveTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];
    private Platform _platform = null!;

    public async Task InitializeAsync() => _platform = await Platform.StartAsync("reresolve", only: ["Collector", "IdentityResolution"], report: output.WriteLine);

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    // A laptop visitor, then a tablet visitor with the family email, then the laptop with the same email: one profile today.
    private async Task SendWronglyMergedFamilyAsync()
    {
        foreach (var (path, body) in new[]
                 {
                     ("/v1/track", $$$"""{"anonymousId":"laptop-{{{_run}}}","event":"Viewed"}"""),
                     ("/v1/identify", $$$"""{"anonymousId":"tablet-{{{_run}}}","traits":{"email":"family-{{{_run}}}@example.com"}}"""),
                     ("/v1/identify", $$$"""{"anonymousId":"laptop-{{{_run}}}","traits":{"email":"family-{{{_run}}}@example.com"}}"""),
                 })
        {
            Assert.Equal(HttpStatusCode.OK, (await _platform.CollectAsync(path, body)).StatusCode);
            await WaitAttributedAsync();
        }
        await using var db = NpgsqlDataSource.Create(_platform.Environment.Postgres);
        await using var merges = db.CreateCommand("select count(*) from identity.mt_events where type = 'profile_merged_from'");
        Assert.Equal(1L, await merges.ExecuteScalarAsync());
    }

    private int _attributed;

    private async Task WaitAttributedAsync()
    {
        _attributed++;
        await using var db = NpgsqlDataSource.Create(_platform.Environment.Postgres);
        await Eventually.TrueAsync(async () =>
        {
            await using var command = db.CreateCommand("select count(*) from identity.mt_events where type = 'event_attributed'");
            return (long)(await command.ExecuteScalarAsync())! == _attributed;
        }, what: $"{_attributed} attributed events");
    }

    private async Task<OpsCli.Run> DryRunAsync(string rules)
    {
        var file = Path.Combine(Path.GetTempPath(), $"rules-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, rules);
        return await OpsCli.RunAsync(_platform, "identity", "re-resolve", "--rules", file, "--dry-run", "--json");
    }

    [Fact]
    public async Task Given_a_wrong_merge_when_a_stricter_rule_is_dry_run_then_the_split_is_shown_with_each_part_and_nothing_changes()
    {
        await SendWronglyMergedFamilyAsync();
        using var reader = _platform.Client("IdentityResolution", bearer: "dev-read-token");
        var before = await reader.GetStringAsync($"/v1/identity/lookup?identifier=anonymous_id:tablet-{_run}");

        var run = await DryRunAsync("""{"Rules":{"anonymous_id":{"Priority":5,"Limit":1}}}""");

        Assert.True(run.ExitCode == 0, run.ToString());
        var diff = run.Json;
        Assert.Equal((3, 1, 2, 1, 0, 1), (diff.GetProperty("events").GetInt32(), diff.GetProperty("profilesBefore").GetInt32(),
            diff.GetProperty("profilesAfter").GetInt32(), diff.GetProperty("splits").GetInt32(), diff.GetProperty("joins").GetInt32(),
            diff.GetProperty("eventsMoved").GetInt32()));
        var split = Assert.Single(diff.GetProperty("sample").EnumerateArray());
        Assert.Equal("split", split.GetProperty("change").GetString());
        var today = Assert.Single(split.GetProperty("before").EnumerateArray());
        Assert.Equal(3, today.GetProperty("events").GetInt32());
        Assert.Equal(3, today.GetProperty("identifiers").GetArrayLength());
        var parts = split.GetProperty("after").EnumerateArray()
            .ToDictionary(p => string.Join(" ", p.GetProperty("identifiers").EnumerateArray().Select(i => i.GetString()).Order()), p => p.GetProperty("events").GetInt32());
        Assert.Equal(new Dictionary<string, int>
        {
            [$"anonymous_id:laptop-{_run}"] = 1,
            [$"anonymous_id:tablet-{_run} email:family-{_run}@example.com"] = 2,
        }, parts);
        Assert.Equal(before, await reader.GetStringAsync($"/v1/identity/lookup?identifier=anonymous_id:tablet-{_run}"));
    }

    [Fact]
    public async Task Given_the_rules_in_force_when_dry_run_then_nothing_would_change()
    {
        await SendWronglyMergedFamilyAsync();

        var run = await DryRunAsync("{}");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal((3, 1, 1, 0, 0, 0), (run.Json.GetProperty("events").GetInt32(), run.Json.GetProperty("profilesBefore").GetInt32(),
            run.Json.GetProperty("profilesAfter").GetInt32(), run.Json.GetProperty("splits").GetInt32(), run.Json.GetProperty("joins").GetInt32(),
            run.Json.GetProperty("eventsMoved").GetInt32()));
    }

    [Fact]
    public async Task Given_a_rules_file_with_a_typo_an_impossible_value_or_not_an_object_when_re_resolving_then_it_exits_2_naming_the_problem()
    {
        var typo = await DryRunAsync("""{"Rules":{"email":{"Limt":1}}}""");
        Assert.True(typo.ExitCode == 2, typo.ToString());
        Assert.Contains("Limt", typo.Error);

        var zero = await DryRunAsync("""{"Rules":{"email":{"Limit":0}}}""");
        Assert.True(zero.ExitCode == 2, zero.ToString());
        Assert.Contains("Rules.email.Limit", zero.Error);

        var file = Path.Combine(Path.GetTempPath(), $"rules-{_run}.json");
        await File.WriteAllTextAsync(file, "[1,2]");
        var apply = await OpsCli.RunAsync(_platform, "identity", "re-resolve", "--rules", file);
        Assert.True(apply.ExitCode == 2, apply.ToString());
        Assert.Contains("not valid", apply.Error);
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using Cdp.Testing;

namespace Cdp.Ops.Tests;

[Collection(OpsCollection.Name)]
public sealed class ImportTests(OpsPlatform ops)
{
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];

    private string Email(string who) => $"{who}-{_run}@example.com";

    [Fact]
    public async Task Given_a_vendor_csv_with_good_and_bad_rows_when_imported_then_good_rows_enrich_profiles_as_third_party_and_bad_rows_are_listed_with_reasons()
    {
        // A known customer: the vendor's row about her email joins her profile.
        await ops.SendAsync("/v1/identify", $$$"""{"userId":"ann-{{{_run}}}","messageId":"{{{_run}}}-known","traits":{"email":"{{{Email("ann")}}}"}}""");
        await ops.WaitStoredAsync($"{_run}-known", 1);
        var file = Path.Combine(Path.GetTempPath(), $"vendor-{_run}.csv");
        await File.WriteAllTextAsync(file, $"""
            email,company,income_band,updated
            {Email("ann")},Acme,"80,000-100,000",2026-11-01T10:00:00Z
            ,NoKey Ltd,low,2026-11-01T10:00:00Z
            {Email("bob")},Bobco,high,2026-11-02T10:00:00Z
            {Email("cat")},Catco,mid,not-a-date
            {Email("dan")},"Dan, Inc",mid
            {Email("eve")},Eveco,low,2026-11-03T10:00:00Z

            """);

        var run = await ops.OpsAsync("import", file, "--source", $"vendor-{_run}", "--data-party", "third", "--map", "updated=timestamp", "--json");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Equal((6, 3, 3), (run.Json.GetProperty("rows").GetInt32(), run.Json.GetProperty("accepted").GetInt32(), run.Json.GetProperty("rejected").GetInt32()));
        var rejects = (await File.ReadAllLinesAsync(file + ".rejected.ndjson")).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal([2, 4, 5], rejects.Select(r => (int)r["row"]!));
        Assert.Contains("'email' is empty", (string)rejects[0]["reason"]!);
        Assert.Contains("timestamp", (string)rejects[1]["reason"]!);
        Assert.Contains("fields where the header has 4", (string)rejects[2]["reason"]!);
        Assert.Equal("Catco", (string)rejects[1]["fields"]!["company"]!);

        var ann = await Eventually.GetAsync(async () =>
            await ops.Platform.ProfileAsync($"user_id:ann-{_run}") is { } p && p.GetProperty("traits").TryGetProperty("company", out _) ? p.ToString() : null,
            TimeSpan.FromSeconds(60), "ann's profile enriched by the vendor");
        var profile = JsonDocument.Parse(ann).RootElement;
        Assert.Equal("80,000-100,000", profile.GetProperty("traits").GetProperty("income_band").GetString());
        Assert.Equal("third", profile.GetProperty("traitSources").GetProperty("company").GetProperty("dataParty").GetString());
        Assert.Equal($"vendor-{_run}", profile.GetProperty("traitSources").GetProperty("company").GetProperty("sourceId").GetString());
        Assert.Contains("third", profile.GetProperty("activity").GetProperty("dataParties").EnumerateArray().Select(p => p.GetString()));
        var eve = await Eventually.GetAsync(async () => (await ops.Platform.ProfileAsync($"email:{Email("eve")}"))?.ToString(), TimeSpan.FromSeconds(60), "eve's profile");
        Assert.Equal("Eveco", JsonDocument.Parse(eve).RootElement.GetProperty("traits").GetProperty("company").GetString());
    }

    [Fact]
    public async Task Given_an_interrupted_ndjson_import_when_run_again_then_it_resumes_after_its_checkpoint_and_no_row_counts_twice()
    {
        var file = Path.Combine(Path.GetTempPath(), $"crm-{_run}.ndjson");
        await File.WriteAllLinesAsync(file, Enumerable.Range(0, 10).Select(i =>
            $$"""{"crm_id":"c{{i}}-{{_run}}","email":"{{Email($"c{i}")}}","score":{{i * 10}},"vip":{{(i % 2 == 0 ? "true" : "false")}}}"""));
        var checkpoint = file + ".cp.json";
        string[] args = ["import", file, "--source", $"crm-{_run}", "--data-party", "second", "--map", "crm_id=userId", "--batch-size", "3",
            "--checkpoint", checkpoint, "--json"];
        var first = await ops.OpsAsync(args);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(10, first.Json.GetProperty("accepted").GetInt32());
        await AllImportedAsync();

        // As if it had been stopped after row 4: rows 5-10 go again, with the same message ids.
        var saved = JsonNode.Parse(await File.ReadAllTextAsync(checkpoint))!;
        saved["row"] = 4;
        saved["accepted"] = 4;
        saved["completed"] = false;
        await File.WriteAllTextAsync(checkpoint, saved.ToJsonString());
        var resumed = await ops.OpsAsync(args);

        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.True(resumed.Json.GetProperty("resumed").GetBoolean());
        Assert.Equal((10, 10, 0), (resumed.Json.GetProperty("rows").GetInt32(), resumed.Json.GetProperty("accepted").GetInt32(), resumed.Json.GetProperty("rejected").GetInt32()));
        await ops.Platform.Environment.WaitForQuietQueuesAsync();
        await AllImportedAsync();
        for (var i = 0; i < 10; i++)
        {
            var profile = (await ops.Platform.ProfileAsync($"user_id:c{i}-{_run}"))!.Value;
            Assert.Equal(1, profile.GetProperty("eventCount").GetInt32());
            Assert.Equal(i * 10, profile.GetProperty("traits").GetProperty("score").GetInt32());
            Assert.Equal(i % 2 == 0, profile.GetProperty("traits").GetProperty("vip").GetBoolean());
        }
    }

    private Task AllImportedAsync() => Eventually.TrueAsync(async () =>
    {
        for (var i = 0; i < 10; i++)
        {
            if (await ops.Platform.ProfileAsync($"user_id:c{i}-{_run}") is null) return false;
        }
        return true;
    }, TimeSpan.FromSeconds(60), "a profile for each of the 10 rows");
}

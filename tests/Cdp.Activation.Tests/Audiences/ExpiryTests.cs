using System.Net.Http.Json;
using System.Text.Json;
using Cdp.Testing;
using Npgsql;

namespace Cdp.Activation.Tests.Audiences;

public class ExpiryTests(ActivationFixture fixture) : IClassFixture<ActivationFixture>
{
    [Fact]
    public async Task Given_a_windowed_audience_when_time_passes_the_window_with_no_event_then_the_member_exits_by_the_clock()
    {
        var member = await MemberOfWindowAsync("recent", "Order Completed", days: 2);
        await using var probe = member.Probe;
        var (key, id, today) = (member.Key, member.ProfileId, member.Today);
        // The clock sweep evaluates the profile once its purchase can leave the window: at the midnight two days on.
        Assert.Equal(DateTimeOffset.Parse($"{today}T00:00:00Z").AddDays(2), await DueAtAsync(id));
        // The sweep selects by the duplicated column, which must hold the same time.
        await using (var source = NpgsqlDataSource.Create(fixture.Environment.Postgres))
        await using (var column = source.CreateCommand("select due_at from activation.mt_doc_profilestate where id = $1"))
        {
            column.Parameters.Add(new NpgsqlParameter { Value = id });
            Assert.Equal(DateTimeOffset.Parse($"{today}T00:00:00Z").AddDays(2), new DateTimeOffset((DateTime)(await column.ExecuteScalarAsync())!, TimeSpan.Zero));
        }

        // Still inside the window on the next day: the clock sweep runs every second and changes nothing.
        fixture.Clock.Advance(TimeSpan.FromDays(1));
        await Task.Delay(2500);
        Assert.Single(probe.Received);

        fixture.Clock.Advance(TimeSpan.FromDays(1));
        var exited = await probe.WaitForAsync(d => d.RoutingKey == $"{key}.exited");
        Assert.Equal("clock", exited.Body.GetProperty("reason").GetString());
        Assert.Equal(0, (await fixture.Admin.GetFromJsonAsync<JsonElement>($"/v1/audiences/{key}/members")).GetProperty("size").GetInt32());
    }

    [Fact]
    public async Task Given_a_profile_stored_before_due_times_when_its_window_passes_then_the_clock_sweep_still_evaluates_it()
    {
        // An event no other test here counts, so their audiences give this profile no due time of their own.
        var member = await MemberOfWindowAsync("legacy", "Trial Started", days: 1);
        await using var probe = member.Probe;
        var (key, id) = (member.Key, member.ProfileId);

        // As an earlier version stored it: no due time in the document or its column.
        await using (var database = new NpgsqlConnection(fixture.Environment.Postgres))
        {
            await database.OpenAsync();
            await using var forget = new NpgsqlCommand("update activation.mt_doc_profilestate set data = data - 'DueAt', due_at = null where id = $1", database)
            {
                Parameters = { new() { Value = id } },
            };
            Assert.Equal(1, await forget.ExecuteNonQueryAsync());
        }
        Assert.Null(await DueAtAsync(id));

        fixture.Clock.Advance(TimeSpan.FromDays(2));
        var exited = await probe.WaitForAsync(d => d.RoutingKey == $"{key}.exited" && d.Body.GetProperty("profileId").GetString() == id);
        Assert.Equal("clock", exited.Body.GetProperty("reason").GetString());
        Assert.NotNull(await DueAtAsync(id));
    }

    /// An audience of profiles with <paramref name="eventName"/> in the last <paramref name="days"/> days, and a new
    /// profile that entered it with one such event today; the probe is bound to the audience's changes.
    private async Task<WindowMember> MemberOfWindowAsync(string prefix, string eventName, int days)
    {
        var key = Changes.NewKey(prefix);
        await fixture.DefineAsync(key, $$"""{"event":"{{eventName}}","op":"gte","value":1,"within_days":{{days}}}""");
        await fixture.BackfilledAsync(key);
        var probe = await fixture.ProbeAsync($"{key}.*");
        try
        {
            var id = Changes.NewProfileId();
            var today = fixture.Clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd");
            await fixture.PublishAsync(Changes.Profile(id, 1, "{}", daily: new() { [eventName] = new Dictionary<string, int> { [today] = 1 } }));
            await probe.WaitForAsync(d => d.RoutingKey == $"{key}.entered");
            return new WindowMember(key, id, today, probe);
        }
        catch
        {
            await probe.DisposeAsync();
            throw;
        }
    }

    private sealed record WindowMember(string Key, string ProfileId, string Today, BusProbe Probe);

    private async Task<DateTimeOffset?> DueAtAsync(string profileId)
    {
        var state = await fixture.Admin.GetFromJsonAsync<JsonElement>($"/v1/activation/profiles/{profileId}");
        return state.TryGetProperty("dueAt", out var due) && due.ValueKind != JsonValueKind.Null ? due.GetDateTimeOffset() : null;
    }

    [Fact]
    public async Task Given_an_inactivity_audience_when_time_passes_then_a_quiet_profile_enters_by_the_clock()
    {
        var key = Changes.NewKey("lapsed");
        await fixture.DefineAsync(key, """{"all":[{"has_identifier":"email"},{"not":{"last_seen_within_days":30}}]}""");
        await fixture.BackfilledAsync(key);
        await using var probe = await fixture.ProbeAsync($"{key}.*");
        var id = Changes.NewProfileId();
        await fixture.PublishAsync(Changes.Profile(id, 1, "{}"));
        await Eventually.TrueAsync(async () => (await fixture.Admin.GetAsync($"/v1/activation/profiles/{id}")).IsSuccessStatusCode);
        Assert.Empty(probe.Received);

        fixture.Clock.Advance(TimeSpan.FromDays(31));
        var entered = await probe.WaitForAsync(d => d.RoutingKey == $"{key}.entered" && d.Body.GetProperty("profileId").GetString() == id);
        Assert.Equal("clock", entered.Body.GetProperty("reason").GetString());
    }
}

using System.Net.Http.Json;
using System.Text.Json;
using Cdp.Testing;
using Npgsql;

namespace Cdp.Activation.Tests.Delivery;

/// Order per profile per destination while the database fails for a moment. A fixture of its own: the fault is a
/// trigger in the fixture's database.
public class WebhookOrderUnderFaultsTests(ActivationFixture fixture) : IClassFixture<ActivationFixture>
{
    [Fact]
    public async Task Given_a_dead_letter_that_cannot_be_stored_for_a_while_when_the_profile_changes_again_then_the_next_change_still_waits_behind_it()
    {
        await using var listener = new WebhookListener { StatusFor = _ => 503 };
        var key = Changes.NewKey("fault");
        await fixture.DefineAsync(key, Changes.PlanIs(key));
        await fixture.BackfilledAsync(key);
        var subscription = await fixture.SubscribeWebhookAsync(key, listener.Url, "segment-track");
        await using var source = NpgsqlDataSource.Create(fixture.Environment.Postgres);
        await using var database = await source.OpenConnectionAsync();
        // While the row is there, storing this subscription's dead letters fails as a lost serialization race does
        // (40001, transient): the delivery is consumed again, and the sequence counts the failures.
        await ExecuteAsync(database, $"""
            create table activation.test_dead_letter_fault (subscription_id text primary key);
            create sequence activation.test_dead_letter_faults;
            create function activation.test_fail_dead_letter() returns trigger language plpgsql as $$
            begin
              if exists (select 1 from activation.test_dead_letter_fault where subscription_id = new.data ->> 'SubscriptionId') then
                perform nextval('activation.test_dead_letter_faults');
                raise exception 'injected by the test: dead letters cannot be stored' using errcode = '40001';
              end if;
              return new;
            end $$;
            create trigger test_fail_dead_letter before insert on activation.mt_doc_deadlettereddelivery
              for each row execute function activation.test_fail_dead_letter();
            insert into activation.test_dead_letter_fault values ('{subscription}');
            """);
        await using var probe = await fixture.ProbeAsync($"{key}.*");

        var id = Changes.NewProfileId();
        await fixture.PublishAsync(Changes.Profile(id, 1, Changes.Plan(key)));
        await probe.WaitForAsync(d => d.RoutingKey == $"{key}.entered");
        // The entered delivery fails its attempts, then fails to store its dead letter, again and again.
        await Eventually.TrueAsync(async () => await FaultsAsync(database) >= 2, what: "the dead letter failing to store twice");
        await fixture.PublishAsync(Changes.Profile(id, 2, """{"plan":"free"}"""));
        await probe.WaitForAsync(d => d.RoutingKey == $"{key}.exited");
        // The exited delivery is queued now, behind the entered one that keeps being retried.
        var faults = await FaultsAsync(database);
        await Eventually.TrueAsync(async () => await FaultsAsync(database) > faults, what: "another failure after the exited change was queued");
        await ExecuteAsync(database, "delete from activation.test_dead_letter_fault");

        var letters = await Eventually.GetAsync(async () =>
        {
            var json = await fixture.Admin.GetFromJsonAsync<JsonElement>($"/v1/subscriptions/{subscription}/dead-letters");
            return json.GetProperty("deadLetters").GetArrayLength() == 2 ? json.GetProperty("deadLetters").EnumerateArray().ToList() : null;
        }, what: "two dead letters");
        Assert.Contains("503", letters[0].GetProperty("reason").GetString());
        Assert.Contains("order", letters[1].GetProperty("reason").GetString());
        Assert.Equal(0, letters[1].GetProperty("attempts").GetInt32());
        Assert.All(listener.Requests, r => Assert.Equal("Audience Entered", JsonDocument.Parse(r.Body).RootElement.GetProperty("event").GetString()));
    }

    private static async Task ExecuteAsync(NpgsqlConnection database, string sql)
    {
        await using var command = new NpgsqlCommand(sql, database);
        await command.ExecuteNonQueryAsync();
    }

    /// How many times storing a dead letter failed; nextval survives the failing transaction's rollback.
    private static async Task<long> FaultsAsync(NpgsqlConnection database)
    {
        await using var command = new NpgsqlCommand(
            "select case when is_called then last_value else 0 end from activation.test_dead_letter_faults", database);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}

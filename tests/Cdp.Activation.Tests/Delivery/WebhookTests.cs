using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Cdp.Activation.Delivery.Webhooks;
using Cdp.Testing;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Cdp.Activation.Tests.Delivery;

public class WebhookTests(ActivationFixture fixture) : IClassFixture<ActivationFixture>
{
    private const string Secret = Changes.WebhookSecret;

    [Fact]
    public async Task Given_a_webhook_that_fails_twice_when_a_profile_enters_then_the_third_attempt_delivers_a_signed_body()
    {
        await using var listener = new WebhookListener { StatusFor = n => n <= 2 ? 500 : 200 };
        var key = Changes.NewKey("hook");
        await fixture.DefineAsync(key, Changes.PlanIs(key));
        await fixture.BackfilledAsync(key);
        var subscription = await fixture.SubscribeWebhookAsync(key, listener.Url);

        var id = Changes.NewProfileId();
        await fixture.PublishAsync(Changes.Profile(id, 1, Changes.Plan(key)));
        await Eventually.TrueAsync(() => Task.FromResult(listener.Requests.Any(r => r.Status == 200)), what: "a successful delivery");
        await fixture.Environment.WaitForQuietQueuesAsync();

        // At least once: a consume retried after the post (the database failing for a moment) posts again, a 200 with
        // the same body; what comes before the first 200 is the retry schedule.
        var requests = listener.Requests.ToList();
        var firstDelivered = requests.FindIndex(r => r.Status == 200);
        Assert.Equal([500, 500, 200], requests.Take(firstDelivered + 1).Select(r => r.Status));
        Assert.All(requests.Skip(firstDelivered), r => Assert.Equal(200, r.Status));
        Assert.Single(requests.Select(r => r.Body).Distinct());
        var delivered = requests[firstDelivered];
        Assert.True(WebhookSignature.Verify(Secret, delivered.Signature!, delivered.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify("another-secret-entirely", delivered.Signature!, delivered.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        Assert.False(WebhookSignature.Verify(Secret, delivered.Signature!, delivered.Body, DateTimeOffset.UtcNow.AddMinutes(10), TimeSpan.FromMinutes(5)),
            "an old signature is refused (replay)");
        var body = JsonDocument.Parse(delivered.Body).RootElement;
        Assert.Equal((id, "entered"), (body.GetProperty("profileId").GetString(), body.GetProperty("change").GetString()));
        Assert.Equal(body.GetProperty("id").GetString(), delivered.DeliveryId);
        var letters = await fixture.Admin.GetFromJsonAsync<JsonElement>($"/v1/subscriptions/{subscription}/dead-letters");
        Assert.Equal(0, letters.GetProperty("deadLetters").GetArrayLength());
    }

    [Fact]
    public async Task Given_a_webhook_that_keeps_failing_when_changes_arrive_then_they_are_dead_lettered_in_order_and_a_redrive_delivers_them()
    {
        await using var listener = new WebhookListener { StatusFor = _ => 503 };
        var key = Changes.NewKey("dead");
        await fixture.DefineAsync(key, Changes.PlanIs(key));
        await fixture.BackfilledAsync(key);
        var subscription = await fixture.SubscribeWebhookAsync(key, listener.Url, "segment-track");
        await using var probe = await fixture.ProbeAsync($"{key}.*");

        var id = Changes.NewProfileId();
        await fixture.PublishAsync(Changes.Profile(id, 1, Changes.Plan(key)));
        await probe.WaitForAsync(d => d.RoutingKey == $"{key}.entered");
        await fixture.PublishAsync(Changes.Profile(id, 2, """{"plan":"free"}"""));
        await probe.WaitForAsync(d => d.RoutingKey == $"{key}.exited");

        var letters = await Eventually.GetAsync(async () =>
        {
            var json = await fixture.Admin.GetFromJsonAsync<JsonElement>($"/v1/subscriptions/{subscription}/dead-letters");
            return json.GetProperty("deadLetters").GetArrayLength() == 2 ? json.GetProperty("deadLetters").EnumerateArray().ToList() : null;
        }, what: "two dead letters");
        Assert.Contains("503", letters[0].GetProperty("reason").GetString());
        // Five attempts allowed; after four failures the destination's circuit opens, so the fifth is usually refused
        // without a request. The dead letter counts the attempts of the consume that gave up: a consume retried after its
        // posts (its database work failing for a moment) starts against the open circuit and records fewer, while the
        // destination has seen them all, so the retry schedule is checked on what the listener received.
        var attempts = letters[0].GetProperty("attempts").GetInt32();
        var posted = listener.Requests.Count;
        Assert.InRange(attempts, 1, 5);
        Assert.True(posted >= Math.Max(4, attempts), $"{posted} requests for {attempts} recorded attempts");
        // Both orders are checked with what happened when, so that a failure shows which delivery went first and why.
        string Timeline() => $"The listener had: {string.Join(", ", listener.Requests.Select(r => $"{r.At:HH:mm:ss.fff} {r.Status} {EventOf(r)}"))}. " +
            $"The dead letters: {string.Join(", ", letters.Select(l => $"{l.GetProperty("changeId")} ({l.GetProperty("reason")})"))}.{Environment.NewLine}{fixture.Problems()}";
        Assert.True(listener.Requests.All(r => r.DeliveryId == letters[0].GetProperty("changeId").GetString()), $"Only the entered change is posted. {Timeline()}");
        Assert.True(letters[1].GetProperty("reason").GetString()!.Contains("order"), $"The exited change waits behind it. {Timeline()}");
        Assert.Equal(0, letters[1].GetProperty("attempts").GetInt32());

        listener.StatusFor = _ => 200;
        var redrive = await fixture.Admin.PostAsync($"/v1/subscriptions/{subscription}/dead-letters/redrive", null);
        Assert.Equal(HttpStatusCode.Accepted, redrive.StatusCode);
        // Delivery is at least once (a retried consume posts again, with the same X-Cdp-Delivery-Id): the first arrival
        // of each delivery is what keeps the order.
        IEnumerable<WebhookListener.Request> Delivered() => listener.Requests.Where(r => r.Status == 200).DistinctBy(r => r.DeliveryId);
        try
        {
            await Eventually.TrueAsync(() => Task.FromResult(Delivered().Count() == 2), what: "two redriven deliveries");
        }
        catch (TimeoutException e)
        {
            var stored = await fixture.Admin.GetStringAsync($"/v1/subscriptions/{subscription}/dead-letters");
            throw new TimeoutException($"{e.Message} The listener had: {string.Join(", ", listener.Requests.Select(r => $"{r.Status} {EventOf(r)} {r.DeliveryId}"))}. " +
                $"The dead letters: {stored}", e);
        }
        Assert.Equal(["Audience Entered", "Audience Exited"], Delivered().Select(EventOf));
        await Eventually.TrueAsync(async () => (await fixture.Admin.GetFromJsonAsync<JsonElement>($"/v1/subscriptions/{subscription}/dead-letters"))
            .GetProperty("deadLetters").GetArrayLength() == 0, what: "an empty dead-letter store");
    }

    [Fact]
    public async Task Given_a_later_change_queued_before_an_earlier_one_when_both_are_consumed_then_the_destination_gets_the_earlier_first()
    {
        await using var listener = new WebhookListener();
        var key = Changes.NewKey("turn");
        await fixture.DefineAsync(key, Changes.PlanIs(key));
        var subscription = await fixture.SubscribeWebhookAsync(key, listener.Url);
        var profile = Changes.NewProfileId();
        var earlier = new WebhookDeliveryRequested(Guid.NewGuid(), subscription, profile, key, 1, $"{profile}-first", """{"n":1}""");
        var later = earlier with { DeliveryId = Guid.NewGuid(), Sequence = 2, ChangeId = $"{profile}-second", Body = """{"n":2}""" };
        // Both pending, as the publisher leaves them, then queued the wrong way round, as a redelivered message or a
        // competing instance can have them.
        await using (var session = fixture.Factory.Services.GetRequiredService<IDocumentStore>().LightweightSession())
        {
            session.Store(PendingDelivery.Of(earlier), PendingDelivery.Of(later));
            await session.SaveChangesAsync();
        }
        await fixture.PublishAsync(later);
        await fixture.PublishAsync(earlier);

        await Eventually.TrueAsync(() => Task.FromResult(listener.Requests.Select(r => r.DeliveryId).Distinct().Count() == 2), what: "both delivered");
        Assert.Equal([earlier.ChangeId, later.ChangeId], listener.Requests.Select(r => r.DeliveryId).Distinct());
        // A delivery's pending row goes in the transaction that follows its post, so it may outlive the request a moment.
        await Eventually.TrueAsync(async () =>
        {
            await using var query = fixture.Factory.Services.GetRequiredService<IDocumentStore>().QuerySession();
            return await query.Query<PendingDelivery>().CountAsync(p => p.ProfileId == profile) == 0;
        }, what: "no pending deliveries left for the profile");
    }

    private static string? EventOf(WebhookListener.Request request) => JsonDocument.Parse(request.Body).RootElement.GetProperty("event").GetString();
}

using System.Security.Cryptography;
using System.Text.Json;
using Cdp.Activation.Audiences.Definitions;
using Cdp.Activation.Audiences.Rules;
using Cdp.Activation.Delivery.Webhooks;
using Cdp.ServiceDefaults.Http;
using Cdp.ServiceDefaults.Security;
using Marten;
using MassTransit;

namespace Cdp.Activation.Delivery.Subscriptions;

/// Subscriptions to one audience's changes (admin token): a durable quorum queue created for the
/// consumer, or a signed webhook; and the webhook dead-letter store, listed and re-driven.
public static class SubscriptionApi
{
    public static IEndpointRouteBuilder MapSubscriptionApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/audiences/{key}/subscriptions", async (string key, HttpRequest http, IDocumentSession session,
            AudienceChangeExchange exchange, WebhookDestinations destinations, TimeProvider clock, CancellationToken ct) =>
        {
            if (await session.LoadAsync<Audience>(Audience.StreamId(key), ct) is not { Deleted: false }) return AudienceApi.NotFound(key);
            JsonElement body;
            try
            {
                if (await BoundedBody.ReadAsync(http.Body, AudienceRequest.MaxBodyBytes, ct) is not { } bytes) return Invalid([new("$", "the body is larger than 64 KB")]);
                body = JsonDocument.Parse(bytes).RootElement.Clone();
            }
            catch (JsonException e)
            {
                return Invalid([new("$", $"not valid JSON: {e.Message}")]);
            }
            var errors = new List<RuleError>();
            var kind = Text(body, "type", errors, [SubscriptionKinds.Queue, SubscriptionKinds.Webhook]);
            var format = body.TryGetProperty("format", out _) ? Text(body, "format", errors, SubscriptionFormats.All) : SubscriptionFormats.Json;
            var subscription = new AudienceSubscription
            {
                Id = $"sub_{Guid.CreateVersion7():N}", AudienceKey = key, Kind = kind ?? "", Format = format ?? "", CreatedAt = clock.GetUtcNow(),
            };
            string? secret = null;
            if (kind == SubscriptionKinds.Queue)
            {
                subscription.Queue = body.TryGetProperty("queue", out var q) ? (q.ValueKind == JsonValueKind.String ? q.GetString() : null) : $"audience-{key}-{subscription.Id[4..16]}";
                if (subscription.Queue is null || !AudienceRequest.KeyPattern().IsMatch(subscription.Queue.Replace(".", "-")))
                {
                    errors.Add(new("$.queue", "must be 1 to 64 of a-z, 0-9, '-', '_' and '.'"));
                }
            }
            else if (kind == SubscriptionKinds.Webhook)
            {
                subscription.Url = body.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
                if (await destinations.ProblemWithAsync(subscription.Url, ct) is { } problem) errors.Add(new("$.url", problem));
                secret = body.TryGetProperty("secret", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
                if (secret is { Length: < 16 }) errors.Add(new("$.secret", "must be at least 16 characters (or leave it out to get a generated one)"));
                subscription.Secret = secret ??= Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
            }
            foreach (var unknown in body.ValueKind == JsonValueKind.Object ? body.EnumerateObject().Select(p => p.Name).Except(["type", "format", "queue", "url", "secret"]) : [])
            {
                errors.Add(new($"$.{unknown}", "unknown field; allowed: type, format, queue (queue), url and secret (webhook)"));
            }
            if (errors.Count > 0) return Invalid(errors);

            if (kind == SubscriptionKinds.Queue
                && await exchange.DeclareQueueAsync(subscription.Queue!, format == SubscriptionFormats.Json ? $"{key}.*" : null, ct) is { } refused)
            {
                return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict",
                    detail: $"RabbitMQ refused queue '{subscription.Queue}': {refused}. Pick another queue name.");
            }
            session.Store(subscription);
            await session.SaveChangesAsync(ct);
            return Results.Created($"/v1/subscriptions/{subscription.Id}", View(subscription, secret));
        }).RequireToken(TokenAuthorization.AdminToken);

        app.MapGet("/v1/audiences/{key}/subscriptions", async (string key, IQuerySession session, CancellationToken ct) =>
            Results.Ok(new { subscriptions = (await session.Query<AudienceSubscription>().Where(s => s.AudienceKey == key).ToListAsync(ct)).Select(s => View(s, null)) }))
            .RequireToken(TokenAuthorization.AdminToken);

        app.MapDelete("/v1/subscriptions/{id}", async (string id, IDocumentSession session, AudienceChangeExchange exchange, CancellationToken ct) =>
        {
            if (await session.LoadAsync<AudienceSubscription>(id, ct) is not { } s) return NotFound(id);
            if (s is { Kind: SubscriptionKinds.Queue, Format: SubscriptionFormats.Json }) await exchange.UnbindAsync(s.Queue!, $"{s.AudienceKey}.*", ct);
            session.Delete(s);
            await session.SaveChangesAsync(ct);
            return Results.NoContent();
        }).RequireToken(TokenAuthorization.AdminToken);

        app.MapGet("/v1/subscriptions/{id}/dead-letters", async (string id, IQuerySession session, CancellationToken ct) =>
        {
            if (await session.LoadAsync<AudienceSubscription>(id, ct) is null) return NotFound(id);
            var letters = await session.Query<DeadLetteredDelivery>().Where(d => d.SubscriptionId == id)
                .OrderBy(d => d.ProfileId).ThenBy(d => d.Sequence).Take(1000).ToListAsync(ct);
            return Results.Ok(new { subscriptionId = id, deadLetters = letters });
        }).RequireToken(TokenAuthorization.AdminToken);

        app.MapPost("/v1/subscriptions/{id}/dead-letters/redrive", async (string id, IDocumentSession session, IBus bus, TimeProvider clock, CancellationToken ct) =>
        {
            if (await session.LoadAsync<AudienceSubscription>(id, ct) is null) return NotFound(id);
            var letters = await session.Query<DeadLetteredDelivery>().Where(d => d.SubscriptionId == id)
                .OrderBy(d => d.ProfileId).ThenBy(d => d.Sequence).ToListAsync(ct);
            // Marked and pending first, published second: a crash in between leaves them marked, and the next re-drive sends
            // them. Its pending rows replace those of earlier re-drives, which a failed publish would otherwise leave behind
            // for later changes of those profiles to wait on.
            foreach (var letter in letters) letter.RedriveRequestedAt = clock.GetUtcNow();
            var deliveries = letters.Select(l => new WebhookDeliveryRequested(Guid.NewGuid(), l.SubscriptionId, l.ProfileId, l.AudienceKey, l.Sequence,
                l.ChangeId, l.Body, l.Id)).ToList();
            session.Store(letters.ToArray());
            session.DeleteWhere<PendingDelivery>(p => p.SubscriptionId == id && p.RedriveOf != null);
            session.Store(deliveries.Select(PendingDelivery.Of).ToArray());
            await session.SaveChangesAsync(ct);
            // All at once: their pending rows, not the queue, keep each profile's deliveries in order.
            await Task.WhenAll(deliveries.Select(d => bus.Publish(d, ct)));
            return Results.Accepted(value: new { subscriptionId = id, redriven = letters.Count });
        }).RequireToken(TokenAuthorization.AdminToken);

        return app;
    }

    private static object View(AudienceSubscription s, string? secret) => new
    {
        id = s.Id, audienceKey = s.AudienceKey, type = s.Kind, format = s.Format, queue = s.Queue, url = s.Url,
        bindingKey = s is { Kind: SubscriptionKinds.Queue, Format: SubscriptionFormats.Json } ? $"{s.AudienceKey}.*" : null,
        secret, createdAt = s.CreatedAt,
    };

    private static string? Text(JsonElement body, string field, List<RuleError> errors, string[] allowed)
    {
        if (body.ValueKind == JsonValueKind.Object && body.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String && allowed.Contains(v.GetString()))
        {
            return v.GetString();
        }
        errors.Add(new($"$.{field}", $"must be one of: {string.Join(", ", allowed)}"));
        return null;
    }

    private static IResult Invalid(IReadOnlyList<RuleError> errors) => Results.Problem(statusCode: StatusCodes.Status400BadRequest,
        title: "Invalid subscription", detail: string.Join("; ", errors.Select(e => $"{e.Path}: {e.Problem}")),
        extensions: new Dictionary<string, object?> { ["errors"] = errors.Select(e => new { path = e.Path, problem = e.Problem }).ToList() });

    private static IResult NotFound(string id) => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
        detail: $"There is no subscription '{id}'.");
}

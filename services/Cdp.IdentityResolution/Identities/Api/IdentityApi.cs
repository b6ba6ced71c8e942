using Cdp.Contracts;
using Cdp.ServiceDefaults.Security;
using Marten;

namespace Cdp.IdentityResolution.Identities.Api;

/// Read API of the identity graph: lookup, a profile's identity, explain, unresolvable events.
public static class IdentityApi
{
    public static IEndpointRouteBuilder MapIdentityApi(this IEndpointRouteBuilder app)
    {
        var identity = app.MapGroup("/v1/identity").RequireToken(TokenAuthorization.ReadToken);

        identity.MapGet("/lookup", async (string? identifier, IQuerySession session, CancellationToken ct) =>
        {
            if (Parse(identifier) is not { } id) return BadIdentifier("identifier");
            return await IdentityGraph.CanonicalOwnerAsync(session, id, ct) is { } profile
                ? Results.Ok(new { identifier = id.ToString(), profileId = profile.Id })
                : NotFound($"No profile holds identifier '{id}'.");
        });

        identity.MapGet("/profiles/{id}", async (string id, IQuerySession session, CancellationToken ct) =>
            await IdentityGraph.DescribeAsync(session, id, ct) is { } view ? Results.Ok(view) : NotFound($"No profile has id '{id}'."));

        identity.MapGet("/explain", async (string? a, string? b, IQuerySession session, CancellationToken ct) =>
        {
            if (Parse(a) is not { } first) return BadIdentifier("a");
            if (Parse(b) is not { } second) return BadIdentifier("b");
            return Results.Ok(await IdentityGraph.ExplainAsync(session, first, second, ct));
        });

        identity.MapGet("/unresolvable", async (DateOnly? day, int? limit, IQuerySession session, CancellationToken ct) =>
        {
            var stream = $"unresolvable-{(day ?? DateOnly.FromDateTime(DateTime.UtcNow)):yyyy-MM-dd}";
            var events = await session.Events.FetchStreamAsync(stream, token: ct);
            return Results.Ok(events.Select(e => e.Data).OfType<EventUnresolvable>().Reverse().Take(Math.Clamp(limit ?? 100, 1, 1000))
                .Select(u => new { u.MessageId, u.At, sourceId = u.Event.SourceId, type = u.Event.Type, u.Dropped }));
        });
        return app;
    }

    public static Identifier? Parse(string? text)
    {
        var colon = text?.IndexOf(':') ?? -1;
        return colon > 0 && colon < text!.Length - 1 ? new Identifier(text[..colon], text[(colon + 1)..]) : null;
    }

    private static IResult BadIdentifier(string parameter) => Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad request",
        detail: $"Query parameter '{parameter}' must be TYPE:VALUE, e.g. user_id:ann or email:ann@example.com.");

    private static IResult NotFound(string detail) => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: detail);
}

using Cdp.ServiceDefaults.Maintenance;
using Cdp.ServiceDefaults.Security;
using Marten;

namespace Cdp.ProfileProjection.Profiles.Api;

public static class ProfileApi
{
    public static IEndpointRouteBuilder MapProfileApi(this IEndpointRouteBuilder app)
    {
        var profiles = app.MapGroup("/v1/profiles").RequireToken(TokenAuthorization.ReadToken).RefusedWhileRebuilding();

        // A merged id answers with the survivor's profile (its canonical id), so old ids keep working.
        profiles.MapGet("/{id}", async (string id, DateTimeOffset? asOf, IQuerySession session, IReadOnlyList<ComputedTraitDefinition> computed,
            CancellationToken ct) =>
        {
            if (asOf is { } instant)
            {
                return await ProfileHistory.AsOfAsync(session, id, instant, computed, ct) is { } past
                    ? Results.Ok(ProfileView.Of(past))
                    : NotFound($"Profile '{id}' did not exist at {instant:O}.");
            }
            return await CanonicalProfiles.LoadAsync(session, id, ct) is { } profile ? Results.Ok(ProfileView.Of(profile)) : NotFound($"No profile has id '{id}'.");
        });

        profiles.MapGet("/", async (string? identifier, IQuerySession session, CancellationToken ct) =>
        {
            if (string.IsNullOrWhiteSpace(identifier) || identifier.IndexOf(':') <= 0)
            {
                return BadRequest("Query parameter 'identifier' must be TYPE:VALUE, e.g. identifier=user_id:ann or identifier=email:ann@example.com.");
            }
            // Written against the duplicated identifier_keys column so that its GIN index serves it (ProfileRegistration).
            var found = await session.QueryAsync<CustomerProfile>("where identifier_keys @> ? and data ->> 'MergedInto' is null limit 1",
                ct, [new[] { identifier }]);
            var profile = found.FirstOrDefault();
            return profile is null ? NotFound($"No profile holds identifier '{identifier}'.") : Results.Ok(ProfileView.Of(profile));
        });

        profiles.MapGet("/{id}/events", async (string id, string? type, string? @event, string? cursor, int? limit, IQuerySession session,
            CancellationToken ct) =>
        {
            var types = new List<Type>();
            foreach (var t in (type ?? string.Join(',', ProfileHistory.CustomerEventTypes.Keys)).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!ProfileHistory.CustomerEventTypes.TryGetValue(t, out var clr))
                {
                    return BadRequest($"Query parameter 'type' has '{t}'; use identify, track, page, screen, group or alias (comma-separated).");
                }
                types.Add(clr);
            }
            long? before = null;
            if (cursor is not null)
            {
                if (!long.TryParse(cursor, out var c)) return BadRequest("Query parameter 'cursor' must be the nextCursor of a previous page.");
                before = c;
            }
            if (limit is < 1 or > 1000) return BadRequest("Query parameter 'limit' must be between 1 and 1000.");
            var (canonical, profile) = await CanonicalProfiles.FollowAsync(session, id, ct);
            if (profile is null) return NotFound($"No profile has id '{id}'.");
            var streams = await ProfileHistory.StreamsAsync(session, canonical, ct);
            return Results.Ok(await ProfileHistory.TimelineAsync(session, streams, types, @event, before, limit ?? 50, ct));
        });

        profiles.MapGet("/{id}/traits/{key}/history", async (string id, string key, IQuerySession session, CancellationToken ct) =>
        {
            var (canonical, found) = await CanonicalProfiles.FollowAsync(session, id, ct);
            if (found is not { } profile) return NotFound($"No profile has id '{id}'.");
            var streams = await ProfileHistory.StreamsAsync(session, canonical, ct);
            var history = await ProfileHistory.TraitHistoryAsync(session, streams, key, ct);
            return history.Count == 0
                ? NotFound($"Profile '{canonical}' never had trait '{key}'.")
                : Results.Ok(new { profileId = canonical, trait = key, current = profile.Traits.GetValueOrDefault(key), history });
        });
        return app;
    }

    private static IResult NotFound(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: detail);

    private static IResult BadRequest(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad request", detail: detail);
}

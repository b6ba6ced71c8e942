using Cdp.ServiceDefaults.Security;
using Marten;

namespace Cdp.ProfileProjection.Profiles.Api;

public static class ProfileApi
{
    public static IEndpointRouteBuilder MapProfileApi(this IEndpointRouteBuilder app)
    {
        var profiles = app.MapGroup("/v1/profiles").RequireToken(TokenAuthorization.ReadToken);
        // A merged id answers with the survivor's profile (its canonical id), so old ids keep working.
        profiles.MapGet("/{id}", async (string id, IQuerySession session, CancellationToken ct) =>
            await CanonicalProfiles.LoadAsync(session, id, ct) is { } profile
                ? Results.Ok(ProfileView.Of(profile))
                : NotFound($"No profile has id '{id}'."));
        profiles.MapGet("/", async (string? identifier, IQuerySession session, CancellationToken ct) =>
        {
            if (string.IsNullOrWhiteSpace(identifier) || identifier.IndexOf(':') <= 0)
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad request",
                    detail: "Query parameter 'identifier' must be TYPE:VALUE, e.g. identifier=user_id:ann or identifier=email:ann@example.com.");
            }
            var profile = await session.Query<CustomerProfile>().Where(p => p.IdentifierKeys.Contains(identifier) && p.MergedInto == null).FirstOrDefaultAsync(ct);
            return profile is null ? NotFound($"No profile holds identifier '{identifier}'.") : Results.Ok(ProfileView.Of(profile));
        });
        return app;
    }

    private static IResult NotFound(string detail) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: detail);
}

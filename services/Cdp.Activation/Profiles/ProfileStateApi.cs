using Cdp.ServiceDefaults.Security;
using Marten;

namespace Cdp.Activation.Profiles;

public static class ProfileStateApi
{
    // What Activation last heard of a profile: lets an operator check that changes arrive.
    public static IEndpointRouteBuilder MapProfileStateApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/activation/profiles/{id}", async (string id, IQuerySession session, CancellationToken ct) =>
                await session.LoadAsync<ProfileState>(id, ct) is { } state
                    ? Results.Ok(state)
                    : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"Activation has no profile '{id}'."))
            .RequireToken(TokenAuthorization.ReadToken);
        return app;
    }
}

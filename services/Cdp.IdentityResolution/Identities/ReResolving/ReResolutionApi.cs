using Cdp.ServiceDefaults.Http;
using Cdp.ServiceDefaults.Security;

namespace Cdp.IdentityResolution.Identities.ReResolving;

/// The admin endpoints behind `./cdp ops identity re-resolve --dry-run`.
public static class ReResolutionApi
{
    private const int MaxRulesBytes = 64 * 1024;

    public static IEndpointRouteBuilder MapReResolutionApi(this IEndpointRouteBuilder app)
    {
        var runs = app.MapGroup("/v1/admin/re-resolve/dry-run").RequireToken(TokenAuthorization.AdminToken);

        // The body is the rules file; ?sample=N affected profiles are described (default 10, at most 100).
        runs.MapPost("/", async (HttpRequest request, int? sample, ReResolutionRuns dryRuns, CancellationToken ct) =>
        {
            if (sample is < 0 or > 100) return BadRequest("Query parameter 'sample' must be from 0 to 100.");
            if (await BoundedBody.ReadAsync(request.Body, MaxRulesBytes, ct) is not { } body)
            {
                return Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Too large", detail: $"The rules must be under {MaxRulesBytes / 1024} KB.");
            }
            var (options, error) = IdentityRulesFile.Parse(new MemoryStream(body));
            if (options is null) return BadRequest(error!);
            return dryRuns.TryStart(options, sample ?? 10, out var status)
                ? Results.Accepted("/v1/admin/re-resolve/dry-run", status)
                : Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Dry run running",
                    detail: "A re-resolution dry run is already running; follow it with GET /v1/admin/re-resolve/dry-run.");
        });
        runs.MapGet("/", (ReResolutionRuns dryRuns) => Results.Ok(dryRuns.Current));
        return app;
    }

    private static IResult BadRequest(string detail) => Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad request", detail: detail);
}

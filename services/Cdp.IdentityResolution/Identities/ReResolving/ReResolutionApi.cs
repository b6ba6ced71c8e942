using Cdp.IdentityResolution.Identities.Rules;
using Cdp.ServiceDefaults.Http;
using Cdp.ServiceDefaults.Security;

namespace Cdp.IdentityResolution.Identities.ReResolving;

/// The admin endpoints behind `./cdp ops identity re-resolve`: POST the rules file to /dry-run or /apply
/// (202, 409 while a run is going), then GET /v1/admin/re-resolve for progress and the result.
public static class ReResolutionApi
{
    private const int MaxRulesBytes = 64 * 1024;

    public static IEndpointRouteBuilder MapReResolutionApi(this IEndpointRouteBuilder app)
    {
        var runs = app.MapGroup("/v1/admin/re-resolve").RequireToken(TokenAuthorization.AdminToken);

        // ?sample=N affected profiles are described (default 10, at most 100).
        runs.MapPost("/dry-run", (HttpRequest request, int? sample, ReResolution reResolution, ReResolutionRuns running, CancellationToken ct) =>
            StartAsync(request, sample, running, "dry-run", reResolution.CountAsync,
                (options, _, size) => async (progressed, token) => await reResolution.DryRunAsync(options, size, progressed, token), ct));
        runs.MapPost("/apply", (HttpRequest request, int? sample, ReResolution reResolution, ReResolutionRuns running, CancellationToken ct) =>
            StartAsync(request, sample, running, "apply", reResolution.CountAsync,
                (options, json, size) => async (progressed, token) => await reResolution.ApplyAsync(options, json, size, progressed, token), ct));
        runs.MapGet("/", (ReResolutionRuns running) => Results.Ok(running.Current));
        return app;
    }

    private static async Task<IResult> StartAsync(HttpRequest request, int? sample, ReResolutionRuns running, string mode,
        Func<CancellationToken, Task<long>> count, Func<IdentityOptions, string, int, Func<Action<long>, CancellationToken, Task<object>>> work,
        CancellationToken ct)
    {
        if (sample is < 0 or > 100) return BadRequest("Query parameter 'sample' must be from 0 to 100.");
        if (await BoundedBody.ReadAsync(request.Body, MaxRulesBytes, ct) is not { } body)
        {
            return Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Too large", detail: $"The rules must be under {MaxRulesBytes / 1024} KB.");
        }
        var (options, error) = IdentityRulesFile.Parse(new MemoryStream(body));
        if (options is null) return BadRequest(error!);
        return running.TryStart(mode, count, work(options, System.Text.Encoding.UTF8.GetString(body), sample ?? 10), out var status)
            ? Results.Accepted("/v1/admin/re-resolve", status)
            : Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Re-resolution running",
                detail: $"A re-resolution ({status.Mode}) is already running; follow it with GET /v1/admin/re-resolve.");
    }

    private static IResult BadRequest(string detail) => Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad request", detail: detail);
}

using Cdp.ServiceDefaults.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Cdp.ServiceDefaults.Maintenance;

/// <summary>The operator endpoints behind <c>./cdp ops rebuild</c>, and the 503 that reads get meanwhile.</summary>
public static class RebuildApi
{
    /// <summary>Registers the pause that writers enter and the rebuilder of <paramref name="projections"/>.</summary>
    public static IServiceCollection AddProjectionRebuilds(this IServiceCollection services, params string[] projections)
    {
        services.AddSingleton<MaintenancePause>();
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<ProjectionRebuilder>(sp, (IReadOnlyList<string>)projections));
        return services;
    }

    /// <summary><c>POST /v1/admin/rebuild</c> starts a rebuild (202, or 409 while one runs); <c>GET</c> reports its progress.</summary>
    public static IEndpointRouteBuilder MapRebuildApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/v1/admin/rebuild").RequireToken(TokenAuthorization.AdminToken);
        admin.MapPost("/", (ProjectionRebuilder rebuilder) => rebuilder.TryStart(out var status)
            ? Results.Accepted("/v1/admin/rebuild", status)
            : Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Rebuild running",
                detail: $"A rebuild of {string.Join(", ", status.Projections)} is already running ({status.State}); follow it with GET /v1/admin/rebuild."));
        admin.MapGet("/", (ProjectionRebuilder rebuilder) => Results.Ok(rebuilder.Status));
        return app;
    }

    /// <summary>Answers 503 with Retry-After while the documents these endpoints read are being rebuilt.</summary>
    public static TBuilder RefusedWhileRebuilding<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var services = context.HttpContext.RequestServices;
            var status = services.GetRequiredService<ProjectionRebuilder>().Status;
            // Entering the pause keeps a write that got past this check from landing inside a rebuild.
            if (!status.Running && !status.Incomplete && services.GetRequiredService<MaintenancePause>().TryEnter(out var entry))
            {
                using (entry) return await next(context);
            }
            context.HttpContext.Response.Headers.RetryAfter = "5";
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Rebuilding",
                detail: status.State == "failed"
                    ? $"{string.Join(", ", status.Projections)} are incomplete after a failed rebuild; an operator must run it again (./cdp ops rebuild)."
                    : $"{string.Join(", ", status.Projections)} are being rebuilt from the event store ({status.State}, " +
                      $"{status.Processed:N0} of {status.Total:N0} events); retry after the Retry-After seconds.");
        });
}

using Cdp.ServiceDefaults.Security;

namespace Cdp.Collector.Sources;

/// Admin API for sources: list, create or replace, enable/disable, delete. Admin token required.
public static class SourcesApi
{
    public sealed record SourceRequest(string? Name, string? WriteKey, string? DataParty, bool? Enabled, int? EventsPerSecond);

    public static IEndpointRouteBuilder MapSourcesApi(this IEndpointRouteBuilder app)
    {
        var sources = app.MapGroup("/v1/admin/sources").RequireToken(TokenAuthorization.AdminToken);
        sources.MapGet("/", (SourceRegistry registry) => Results.Ok(registry.All()));
        sources.MapGet("/{id}", (string id, SourceRegistry registry) =>
            registry.Find(id) is { } s ? Results.Ok(s) : NotFound(id));
        sources.MapPut("/{id}", (string id, SourceRequest request, SourceRegistry registry) =>
        {
            var existing = registry.Find(id);
            var source = new Source(id, request.Name ?? existing?.Name ?? id, request.WriteKey ?? existing?.WriteKey ?? "",
                request.DataParty ?? existing?.DataParty ?? Cdp.Contracts.DataParties.First, request.Enabled ?? existing?.Enabled ?? true,
                request.EventsPerSecond ?? existing?.EventsPerSecond);
            if (registry.TrySave(source) is { } problem)
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid source", detail: problem);
            }
            return existing is null ? Results.Created($"/v1/admin/sources/{id}", source) : Results.Ok(source);
        });
        sources.MapDelete("/{id}", (string id, SourceRegistry registry) => registry.Remove(id) ? Results.NoContent() : NotFound(id));
        return app;
    }

    private static IResult NotFound(string id) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"No source has id '{id}'.");
}

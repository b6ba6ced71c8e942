using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cdp.Collector.Sources;
using Cdp.ServiceDefaults.Security;
using Cdp.ServiceDefaults.Telemetry;

namespace Cdp.Collector.Ingestion;

/// The Segment Tracking API: one endpoint per call type, their browser short forms, and batch.
public static class TrackingApi
{
    private static readonly Dictionary<string, string> Calls = new()
    {
        ["identify"] = "identify", ["i"] = "identify",
        ["track"] = "track", ["t"] = "track",
        ["page"] = "page", ["p"] = "page",
        ["screen"] = "screen", ["s"] = "screen",
        ["group"] = "group", ["g"] = "group",
        ["alias"] = "alias", ["a"] = "alias",
    };

    public static IEndpointRouteBuilder MapTrackingApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1").RequireCors(CollectorRegistration.BrowserCors);
        foreach (var (path, type) in Calls)
        {
            v1.MapPost($"/{path}", (HttpContext http, Intake intake, EventPublisher publisher, SourceRateLimits limits, TimeProvider clock, CancellationToken ct) =>
                HandleAsync(http, intake, publisher, limits, clock, type, ct));
        }
        foreach (var path in new[] { "/batch", "/import" })
        {
            v1.MapPost(path, (HttpContext http, Intake intake, EventPublisher publisher, SourceRateLimits limits, TimeProvider clock, CancellationToken ct) =>
                HandleAsync(http, intake, publisher, limits, clock, null, ct));
        }
        return app;
    }

    private static async Task<IResult> HandleAsync(HttpContext http, Intake intake, EventPublisher publisher, SourceRateLimits limits,
        TimeProvider clock, string? type, CancellationToken ct)
    {
        var receivedAt = clock.GetUtcNow();
        JsonObject body;
        try
        {
            body = await RequestBody.ReadObjectAsync(http.Request, ct);
        }
        catch (RequestBody.TooLargeException e)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, "Request too large", e.Message);
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" at line {line + 1}, position {e.BytePositionInLine + 1}" : "";
            return Problem(StatusCodes.Status400BadRequest, "Malformed JSON", $"The body is not valid JSON{where}: {e.Message}");
        }
        catch (InvalidDataException)
        {
            return Problem(StatusCodes.Status400BadRequest, "Malformed gzip", "Content-Encoding says gzip but the body is not valid gzip.");
        }

        var writeKey = TokenAuthorization.BasicUserName(http.Request.Headers.Authorization.ToString());
        switch (intake.Accept(body, type, writeKey, receivedAt))
        {
            case IntakeRefused refused:
                return Problem(refused.Status, refused.Title, refused.Detail, refused.Errors.Count > 0 ? refused.Errors : null);
            case IntakeAccepted accepted:
                if (limits.TryAcquire(accepted.Source, accepted.Events.Count) is { } retryAfter)
                {
                    http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString();
                    return Problem(StatusCodes.Status429TooManyRequests, "Too many requests",
                        $"Source '{accepted.Source.Id}' is over its rate limit; retry after the Retry-After seconds.");
                }
                try
                {
                    await publisher.PublishAsync(accepted.Events, ct);
                }
                catch (EventPublisher.UnavailableException)
                {
                    http.Response.Headers.RetryAfter = "5";
                    return Problem(StatusCodes.Status503ServiceUnavailable, "Try again",
                        "The message broker did not confirm the events in time. Retry with the same messageIds: duplicates are ignored.");
                }
                CdpMetrics.EventsAccepted.Add(accepted.Events.Count, new TagList { { "source", accepted.Source.Id }, { "transport", "http" } });
                return Results.Json(new { success = true });
            default:
                throw new UnreachableException();
        }
    }

    private static IResult Problem(int status, string title, string detail, IReadOnlyList<FieldError>? errors = null) =>
        Results.Problem(statusCode: status, title: title, detail: detail,
            extensions: errors is null ? null : new Dictionary<string, object?>
            {
                ["errors"] = errors.Select(e => new { index = e.Index, field = e.Field, reason = e.Reason }).ToList(),
            });
}

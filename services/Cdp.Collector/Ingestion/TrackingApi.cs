using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cdp.Collector.Sources;
using Cdp.Contracts.Collector;
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
            v1.MapPost($"/{path}", (HttpContext http, SourceRegistry sources, EventPublisher publisher, TimeProvider clock, CancellationToken ct) =>
                HandleAsync(http, sources, publisher, clock, type, ct));
        }
        v1.MapPost("/batch", (HttpContext http, SourceRegistry sources, EventPublisher publisher, TimeProvider clock, CancellationToken ct) =>
            HandleAsync(http, sources, publisher, clock, null, ct));
        v1.MapPost("/import", (HttpContext http, SourceRegistry sources, EventPublisher publisher, TimeProvider clock, CancellationToken ct) =>
            HandleAsync(http, sources, publisher, clock, null, ct));
        return app;
    }

    private static async Task<IResult> HandleAsync(HttpContext http, SourceRegistry sources, EventPublisher publisher,
        TimeProvider clock, string? singleType, CancellationToken ct)
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

        var writeKey = TokenAuthorization.BasicUserName(http.Request.Headers.Authorization.ToString())
            ?? (body["writeKey"]?.GetValueKind() == JsonValueKind.String ? body["writeKey"]!.GetValue<string>() : null);
        var source = sources.FindByWriteKey(writeKey);
        if (source is null || !source.Enabled)
        {
            return Problem(StatusCodes.Status401Unauthorized, "Unauthorized", writeKey is null
                ? "No write key: send it as the HTTP Basic user name with an empty password, or as 'writeKey' in the body."
                : source is null ? "The write key belongs to no source." : $"Source '{source.Id}' is disabled.");
        }

        var (events, errors, tooLarge) = singleType is null
            ? ValidateBatch(body, source, receivedAt)
            : ValidateOne(body, singleType, source, receivedAt);
        if (tooLarge is not null)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, "Too large", tooLarge);
        }
        if (errors.Count > 0)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid event",
                singleType is null
                    ? $"{errors.Select(e => e.Index).Distinct().Count()} event(s) of the batch are invalid; nothing was accepted."
                    : string.Join("; ", errors.Select(e => $"{e.Field} {e.Reason}")),
                errors);
        }

        try
        {
            await publisher.PublishAsync(events, ct);
        }
        catch (EventPublisher.UnavailableException)
        {
            http.Response.Headers.RetryAfter = "5";
            return Problem(StatusCodes.Status503ServiceUnavailable, "Try again",
                "The message broker did not confirm the events in time. Retry with the same messageIds: duplicates are ignored.");
        }
        CdpMetrics.EventsAccepted.Add(events.Count, new TagList { { "source", source.Id } });
        return Results.Json(new { success = true });
    }

    private static (List<EventCollected>, List<FieldError>, string?) ValidateOne(JsonObject body, string type, Source source, DateTimeOffset receivedAt)
    {
        body.Remove("writeKey");
        if (Encoding.UTF8.GetByteCount(body.ToJsonString()) > SegmentLimits.MaxEventBytes)
        {
            return ([], [], $"The event is over {SegmentLimits.MaxEventBytes} bytes.");
        }
        var (e, errors) = SegmentEventValidator.Validate(body, type, null, source, receivedAt);
        return (e is null ? [] : [e], errors, null);
    }

    private static (List<EventCollected>, List<FieldError>, string?) ValidateBatch(JsonObject body, Source source, DateTimeOffset receivedAt)
    {
        if (body["batch"] is not JsonArray batch)
        {
            return ([], [new FieldError(null, "batch", "is required and must be an array of events")], null);
        }
        if (batch.Count > SegmentLimits.MaxBatchEvents)
        {
            return ([], [], $"The batch has {batch.Count} events; at most {SegmentLimits.MaxBatchEvents} are accepted.");
        }
        DateTimeOffset? sentAt = null;
        var errors = new List<FieldError>();
        if (body["sentAt"] is { } sentNode)
        {
            if (sentNode.GetValueKind() == JsonValueKind.String && DateTimeOffset.TryParse(sentNode.GetValue<string>(), out var s)) sentAt = s;
            else errors.Add(new FieldError(null, "sentAt", "must be an ISO-8601 date-time string"));
        }
        var events = new List<EventCollected>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            if (batch[i] is not JsonObject raw)
            {
                errors.Add(new FieldError(i, "", "each batch entry must be a JSON object"));
                continue;
            }
            // Segment applies a batch's context and integrations to events that have none of their own.
            foreach (var shared in new[] { "context", "integrations" })
            {
                if (raw[shared] is null && body[shared] is JsonObject value) raw[shared] = value.DeepClone();
            }
            if (Encoding.UTF8.GetByteCount(raw.ToJsonString()) > SegmentLimits.MaxEventBytes)
            {
                return ([], [], $"Event {i} of the batch is over {SegmentLimits.MaxEventBytes} bytes.");
            }
            var (e, eventErrors) = SegmentEventValidator.Validate(raw, null, i, source, receivedAt, sentAt);
            errors.AddRange(eventErrors);
            if (e is not null) events.Add(e);
        }
        return (events, errors, null);
    }

    private static IResult Problem(int status, string title, string detail, IReadOnlyList<FieldError>? errors = null) =>
        Results.Problem(statusCode: status, title: title, detail: detail,
            extensions: errors is null ? null : new Dictionary<string, object?>
            {
                ["errors"] = errors.Select(e => new { index = e.Index, field = e.Field, reason = e.Reason }).ToList(),
            });
}

using System.IO.Compression;
using Cdp.ServiceDefaults.Http;
using System.Text.Json.Nodes;

namespace Cdp.Collector.Ingestion;

/// Reads a Tracking API body: JSON sent as application/json or text/plain (browsers skip the CORS
/// preflight that way), optionally gzip-encoded, never more than Segment's request limit once inflated.
public static class RequestBody
{
    public sealed class TooLargeException(string message) : Exception(message);

    public static async Task<JsonObject> ReadObjectAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > SegmentLimits.MaxRequestBytes)
        {
            throw new TooLargeException($"The request is {request.ContentLength} bytes; at most {SegmentLimits.MaxRequestBytes} are accepted. Send smaller batches.");
        }
        var body = request.Headers.ContentEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase)
            ? new GZipStream(request.Body, CompressionMode.Decompress)
            : request.Body;
        var bytes = await BoundedBody.ReadAsync(body, SegmentLimits.MaxRequestBytes, ct)
            ?? throw new TooLargeException($"The request is over {SegmentLimits.MaxRequestBytes} bytes; send smaller batches.");
        return JsonBody.ParseObject(bytes);
    }
}

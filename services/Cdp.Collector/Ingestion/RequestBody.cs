using System.IO.Compression;
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
        var bytes = await ReadLimitedAsync(body, ct);
        return JsonBody.ParseObject(bytes);
    }

    private static async Task<byte[]> ReadLimitedAsync(Stream body, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > SegmentLimits.MaxRequestBytes)
            {
                throw new TooLargeException($"The request is over {SegmentLimits.MaxRequestBytes} bytes; send smaller batches.");
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}

namespace Cdp.ServiceDefaults.Http;

/// <summary>Reads a request body up to a limit, without buffering anything past it.</summary>
public static class BoundedBody
{
    /// <summary>The body's bytes, or null as soon as it passes <paramref name="maxBytes"/>.</summary>
    public static async Task<byte[]?> ReadAsync(Stream body, int maxBytes, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > maxBytes) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cdp.Collector.Ingestion;

/// Parses a Tracking API body (HTTP or AMQP) into a JSON object, refusing what a later read would choke on.
public static class JsonBody
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64, AllowDuplicateProperties = false };

    public static JsonObject ParseObject(byte[] bytes)
    {
        // The JSON reader does not check the UTF-8 inside strings until a value is read, which would be a 500 later.
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            throw new JsonException("The body is not valid UTF-8; send JSON encoded as UTF-8.");
        }
        RefuseBrokenEscapes(bytes);
        var node = JsonNode.Parse(bytes, documentOptions: Options);
        return node as JsonObject
            ?? throw new JsonException($"The body must be a JSON object, not {(node is null ? "null" : node.GetValueKind().ToString().ToLowerInvariant())}.");
    }

    /// An escaped lone surrogate ("\ud800") is valid JSON syntax but no string: find it now, as a 400.
    private static void RefuseBrokenEscapes(byte[] bytes)
    {
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = Options.MaxDepth });
        while (reader.Read())
        {
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName) || !reader.ValueIsEscaped) continue;
            string text;
            try
            {
                text = reader.GetString()!;
            }
            catch (InvalidOperationException e)
            {
                throw new JsonException($"The string at byte {reader.TokenStartIndex} is not valid text: {e.Message}", null, null, reader.TokenStartIndex);
            }
            // PostgreSQL's jsonb cannot hold U+0000; accepting it would poison every batch it travels in downstream.
            if (text.Contains('\0'))
            {
                throw new JsonException($"The string at byte {reader.TokenStartIndex} contains \\u0000, which cannot be stored; remove it.", null, null, reader.TokenStartIndex);
            }
        }
    }
}

using System.Text.Json.Nodes;

namespace Cdp.Ops.Import;

/// One data row of the file (Number counts from 1, header excluded), its fields, or why it could not be read.
public sealed record ImportRow(long Number, IReadOnlyDictionary<string, JsonNode?> Fields, string? Unreadable);

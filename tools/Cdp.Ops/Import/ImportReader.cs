using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsvHelper;
using CsvHelper.Configuration;

namespace Cdp.Ops.Import;

/// Rows of a CSV file (with a header row; values are text, empty cells are absent) or of an NDJSON file
/// (one JSON object per line; values keep their JSON types). A row that cannot be read is returned with the reason.
public static class ImportReader
{
    public static IEnumerable<ImportRow> Read(Stream stream, string format) => format switch
    {
        "csv" => Csv(stream),
        "ndjson" => Ndjson(stream),
        _ => throw new UsageException($"--format '{format}' is not csv or ndjson."),
    };

    private static IEnumerable<ImportRow> Csv(Stream stream)
    {
        string? bad = null;
        var configuration = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            BadDataFound = args => bad ??= $"malformed CSV near '{Truncate(args.RawRecord)}'",
            MissingFieldFound = null,
            DetectColumnCountChanges = false,
            TrimOptions = TrimOptions.Trim,
        };
        using var reader = new StreamReader(stream, leaveOpen: true);
        using var csv = new CsvReader(reader, configuration);
        if (!csv.Read() || !csv.ReadHeader() || csv.HeaderRecord is not { Length: > 0 } header)
        {
            throw new UsageException("the CSV file has no header row; the first row must name the columns.");
        }
        foreach (var duplicate in header.GroupBy(h => h, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            throw new UsageException($"the CSV header names column '{duplicate.Key}' twice.");
        }
        long number = 0;
        while (csv.Read())
        {
            number++;
            if (bad is not null || csv.Parser.Count != header.Length)
            {
                yield return new ImportRow(number, new Dictionary<string, JsonNode?>(),
                    bad ?? $"has {csv.Parser.Count} fields where the header has {header.Length}");
                bad = null;
                continue;
            }
            var fields = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
            for (var i = 0; i < header.Length; i++)
            {
                if (csv.GetField(i) is { Length: > 0 } value) fields[header[i]] = JsonValue.Create(value);
            }
            yield return new ImportRow(number, fields, null);
        }
    }

    private static IEnumerable<ImportRow> Ndjson(Stream stream)
    {
        using var reader = new StreamReader(stream, leaveOpen: true);
        long number = 0;
        while (reader.ReadLine() is { } line)
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            number++;
            JsonNode? node;
            string? error = null;
            try
            {
                node = JsonNode.Parse(line);
            }
            catch (JsonException e)
            {
                node = null;
                error = $"not valid JSON: {e.Message}";
            }
            if (node is JsonObject row)
            {
                yield return new ImportRow(number, row.ToDictionary(p => p.Key, p => p.Value?.DeepClone(), StringComparer.Ordinal), null);
            }
            else
            {
                yield return new ImportRow(number, new Dictionary<string, JsonNode?>(), error ?? "is not a JSON object");
            }
        }
    }

    private static string Truncate(string text) => text.Length > 80 ? text[..80] + "..." : text.TrimEnd('\r', '\n');
}

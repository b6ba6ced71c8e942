using System.Globalization;
using System.Text.Json;

namespace Cdp.Activation.Audiences.Rules;

/// The trait operators. A missing trait matches only `neq` and `not_exists`.
public static class TraitComparison
{
    public static readonly string[] Operators =
        ["eq", "neq", "gt", "gte", "lt", "lte", "contains", "starts_with", "in", "exists", "not_exists", "within_last_days", "within_next_days"];

    public static JsonElement? Find(IReadOnlyDictionary<string, JsonElement>? traits, string path)
    {
        if (traits is null) return null;
        if (traits.TryGetValue(path, out var exact)) return exact;
        var parts = path.Split('.');
        if (parts.Length < 2 || !traits.TryGetValue(parts[0], out var current)) return null;
        foreach (var part in parts.Skip(1))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(part, out current)) return null;
        }
        return current;
    }

    public static bool Test(JsonElement? found, string op, JsonElement? value, DateTimeOffset now)
    {
        var present = found is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined };
        if (op == "exists") return present;
        if (op == "not_exists") return !present;
        if (!present) return op == "neq";
        var trait = found!.Value;
        var v = value!.Value;
        return op switch
        {
            "eq" => JsonEquals(trait, v),
            "neq" => !JsonEquals(trait, v),
            "gt" => Compare(trait, v) is > 0,
            "gte" => Compare(trait, v) is >= 0,
            "lt" => Compare(trait, v) is < 0,
            "lte" => Compare(trait, v) is <= 0,
            "contains" => trait.ValueKind switch
            {
                JsonValueKind.String => trait.GetString()!.Contains(v.GetString()!, StringComparison.Ordinal),
                JsonValueKind.Array => trait.EnumerateArray().Any(e => JsonEquals(e, v)),
                _ => false,
            },
            "starts_with" => trait.ValueKind == JsonValueKind.String && trait.GetString()!.StartsWith(v.GetString()!, StringComparison.Ordinal),
            "in" => v.EnumerateArray().Any(e => JsonEquals(trait, e)),
            "within_last_days" => AsDate(trait) is { } d && d <= now && d >= now.AddDays(-v.GetInt32()),
            "within_next_days" => AsDate(trait) is { } d && d >= now && d <= now.AddDays(v.GetInt32()),
            _ => false,
        };
    }

    /// Numbers compare by value (1 equals 1.0), everything else by its JSON content.
    public static bool JsonEquals(JsonElement a, JsonElement b) =>
        a.ValueKind == JsonValueKind.Number && b.ValueKind == JsonValueKind.Number
            ? CompareNumbers(a, b) == 0
            : JsonElement.DeepEquals(a, b);

    /// Orders a trait against a rule value: numbers against numbers (a numeric string trait counts), dates against dates.
    /// Null when the two cannot be compared, which never matches.
    private static int? Compare(JsonElement trait, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Number) return CompareNumbers(trait, value);
        return AsDate(trait) is { } td && AsDate(value) is { } vd ? td.CompareTo(vd) : null;
    }

    /// Exact (decimal) where both fit, otherwise as doubles (1e300 still compares above 5).
    private static int? CompareNumbers(JsonElement a, JsonElement b)
    {
        if (AsDecimal(a) is { } x && AsDecimal(b) is { } y) return x.CompareTo(y);
        return AsDouble(a) is { } p && AsDouble(b) is { } q ? p.CompareTo(q) : null;
    }

    private static decimal? AsDecimal(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number when e.TryGetDecimal(out var d) => d,
        JsonValueKind.String when decimal.TryParse(e.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => null,
    };

    private static double? AsDouble(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Number when e.TryGetDouble(out var d) && double.IsFinite(d) => d,
        JsonValueKind.String when double.TryParse(e.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) => d,
        _ => null,
    };

    public static DateTimeOffset? AsDate(JsonElement e) =>
        e.ValueKind == JsonValueKind.String
        && DateTimeOffset.TryParse(e.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d)
            ? d
            : null;
}

using System.Text.Json;
using System.Text.RegularExpressions;
using Cdp.Activation.Audiences.Rules;
using Cdp.ServiceDefaults.Http;

namespace Cdp.Activation.Audiences.Definitions;

/// A create or update request, read field by field so that every problem is reported with its path.
public sealed partial record AudienceRequest(string? Key, string? Name, JsonElement Rule, IReadOnlyList<string> IncludeTraits)
{
    public const int MaxBodyBytes = 64 * 1024;

    /// Keys appear in routing keys and URLs: lower case letters, digits, '-' and '_'.
    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,63}$")]
    public static partial Regex KeyPattern();

    public static async Task<(AudienceRequest? Request, IReadOnlyList<RuleError> Errors)> ReadAsync(HttpRequest http, bool keyRequired, CancellationToken ct)
    {
        JsonElement body;
        try
        {
            if (await BoundedBody.ReadAsync(http.Body, MaxBodyBytes, ct) is not { } bytes) return (null, [new("$", $"the body is larger than {MaxBodyBytes / 1024} KB")]);
            body = JsonDocument.Parse(bytes).RootElement.Clone();
        }
        catch (JsonException e)
        {
            return (null, [new("$", $"not valid JSON: {e.Message}")]);
        }
        if (body.ValueKind != JsonValueKind.Object) return (null, [new("$", "expected a JSON object with key, name, rule and includeTraits")]);

        var errors = new List<RuleError>();
        string? key = null;
        if (body.TryGetProperty("key", out var k))
        {
            if (k.ValueKind == JsonValueKind.String && KeyPattern().IsMatch(k.GetString()!)) key = k.GetString();
            else errors.Add(new("$.key", "must be 1 to 64 of a-z, 0-9, '-' and '_', starting with a letter or digit"));
        }
        else if (keyRequired)
        {
            errors.Add(new("$.key", "is required"));
        }
        string? name = null;
        if (body.TryGetProperty("name", out var n))
        {
            if (n.ValueKind == JsonValueKind.String && n.GetString()!.Length is > 0 and <= 200) name = n.GetString();
            else errors.Add(new("$.name", "must be a string of 1 to 200 characters"));
        }
        var include = new List<string>();
        if (body.TryGetProperty("includeTraits", out var inc))
        {
            if (inc.ValueKind == JsonValueKind.Array && inc.GetArrayLength() <= 50 && inc.EnumerateArray().All(t => t.ValueKind == JsonValueKind.String))
            {
                include.AddRange(inc.EnumerateArray().Select(t => t.GetString()!).Distinct());
            }
            else
            {
                errors.Add(new("$.includeTraits", "must be an array of at most 50 trait names"));
            }
        }
        foreach (var unknown in body.EnumerateObject().Select(p => p.Name).Except(["key", "name", "rule", "includeTraits"]))
        {
            errors.Add(new($"$.{unknown}", "unknown field; allowed: key, name, rule, includeTraits"));
        }
        if (!body.TryGetProperty("rule", out var rule))
        {
            errors.Add(new("$.rule", "is required"));
        }
        else if (!AudienceRuleParser.TryParse(rule, out _, out var ruleErrors))
        {
            errors.AddRange(ruleErrors.Select(e => e with { Path = "$.rule" + e.Path[1..] }));
        }
        return errors.Count > 0 ? (null, errors) : (new AudienceRequest(key, name, rule, include), []);
    }
}

using System.Text.Json;
using System.Text.RegularExpressions;
using Cdp.Contracts;
using Cdp.Contracts.Collector;
using Cdp.Contracts.Identity;
using Cdp.IdentityResolution.Identities.Rules;

namespace Cdp.IdentityResolution.Identities.Extraction;

/// Reads an event's identifiers as configuration says, normalises them, drops blocked values
/// (recording why), and orders them strongest first.
public sealed class IdentifierExtractor
{
    private readonly IdentityOptions _options;
    private readonly HashSet<string> _blockedExact;
    private readonly Regex[] _blockedPatterns;

    public IdentifierExtractor(IdentityOptions options)
    {
        _options = options;
        _blockedExact = new HashSet<string>(options.Blocked.Exact, StringComparer.OrdinalIgnoreCase);
        _blockedPatterns = [.. options.Blocked.Patterns.Select(BlockedPattern)];
    }

    /// Without backtracking a match takes time linear in the value, so no pattern or value can stall resolution and no
    /// wall-clock timeout is needed. A timeout did harm: on a loaded machine (or during the first match's JIT) a cheap
    /// match overran it and a valid identifier was dropped as blocked. Throws NotSupportedException for constructs
    /// this engine cannot run (backreferences, lookarounds); IdentityRulesCheck refuses those up front.
    public static Regex BlockedPattern(string pattern) => new(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);

    public (List<Identifier> Identifiers, List<DroppedIdentifier> Blocked) Extract(EventCollected e)
    {
        var found = new List<Identifier>();
        foreach (var rule in _options.Extraction)
        {
            if (rule.Type == ExtractionRule.ExternalIds)
            {
                if (Find(e.Message, rule.From) is { ValueKind: JsonValueKind.Array } ids)
                {
                    foreach (var entry in ids.EnumerateArray())
                    {
                        if (entry.ValueKind == JsonValueKind.Object && Text(entry, "id") is { } id && Text(entry, "type") is { Length: > 0 } type)
                        {
                            found.Add(new Identifier(type, Normalize(id, "none")));
                        }
                    }
                }
                continue;
            }
            if (Find(e.Message, rule.From) is { } value && AsText(value) is { } text)
            {
                found.Add(new Identifier(rule.Type, Normalize(text, rule.Normalize)));
            }
        }
        if (e.Type == "alias" && Text(e.Message, "previousId") is { } previous)
        {
            // The previous id is whatever the person was known by: resolved as user_id or anonymous_id by the consumer.
            found.Add(new Identifier(AliasPrevious, previous.Trim()));
        }

        var blocked = new List<DroppedIdentifier>();
        var kept = new List<Identifier>();
        foreach (var identifier in found.Distinct())
        {
            if (BlockedBy(identifier.Value) is { } rule) blocked.Add(new DroppedIdentifier(identifier.Type, identifier.Value, rule));
            else kept.Add(identifier);
        }
        return ([.. kept.OrderBy(i => Priority(i.Type))], blocked);
    }

    /// Placeholder type for an alias's previousId until the consumer knows which type it was.
    public const string AliasPrevious = "previous_id";

    public int Priority(string type) => type == AliasPrevious ? _options.RuleFor("anonymous_id").Priority : _options.RuleFor(type).Priority;

    private string? BlockedBy(string value)
    {
        if (_blockedExact.Contains(value)) return $"blocked:{value}";
        foreach (var pattern in _blockedPatterns)
        {
            if (pattern.IsMatch(value)) return $"blocked:/{pattern}/";
        }
        return null;
    }

    public static string Normalize(string value, string how) => how switch
    {
        "email" => value.Trim().ToLowerInvariant(),
        "phone" => Phone(value),
        _ => value.Trim(),
    };

    private static string Phone(string value)
    {
        var digits = new string(value.Where(char.IsAsciiDigit).ToArray());
        return digits.Length == 0 ? "" : "+" + digits;
    }

    private static JsonElement? Find(JsonElement root, string path)
    {
        var current = root;
        foreach (var part in path.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(part, out current)) return null;
        }
        return current;
    }

    private static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? AsText(v) : null;

    private static string? AsText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetRawText(),
        _ => null,
    };
}

using System.Text.Json;
using Cdp.Contracts;

namespace Cdp.Activation.Audiences.Rules;

/// Turns the JSON rule language (README, "Audience rules") into an AudienceRule, or into the list of
/// every problem found, each with its path, so an author can fix them all at once.
public static class AudienceRuleParser
{
    private const int MaxDepth = 16;
    private const int MaxWindowDays = 90;

    private static readonly string[] Kinds =
        ["all", "any", "not", "trait", "computed", "event", "last_seen_within_days", "has_identifier", "data_party", "source"];
    private static readonly string[] EventOperators = ["never", "ever", "eq", "neq", "gt", "gte", "lt", "lte"];

    public static AudienceRule Parse(JsonElement rule) =>
        TryParse(rule, out var parsed, out var errors)
            ? parsed!
            : throw new ArgumentException($"Invalid audience rule: {string.Join("; ", errors.Select(e => $"{e.Path}: {e.Problem}"))}");

    public static bool TryParse(JsonElement rule, out AudienceRule? parsed, out IReadOnlyList<RuleError> errors)
    {
        var found = new List<RuleError>();
        parsed = Node(rule, "$", 0, found);
        errors = found;
        if (found.Count > 0) parsed = null;
        return found.Count == 0;
    }

    private static AudienceRule? Node(JsonElement e, string path, int depth, List<RuleError> errors)
    {
        if (depth > MaxDepth)
        {
            errors.Add(new(path, $"rules may nest at most {MaxDepth} levels deep"));
            return null;
        }
        if (e.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new(path, $"expected a condition object, got {Kind(e)}"));
            return null;
        }
        var kinds = e.EnumerateObject().Select(p => p.Name).Where(n => Kinds.Contains(n)).ToList();
        if (kinds.Count != 1)
        {
            errors.Add(new(path, kinds.Count == 0
                ? $"a condition needs exactly one of: {string.Join(", ", Kinds)}"
                : $"a condition may have only one of {string.Join(", ", kinds)}"));
            return null;
        }
        var kind = kinds[0];
        var value = e.GetProperty(kind);
        return kind switch
        {
            "all" or "any" => Group(kind, e, value, path, depth, errors),
            "not" => Only(e, path, errors, "not") && Node(value, $"{path}.not", depth + 1, errors) is { } inner ? new NotRule(inner) : null,
            "trait" or "computed" => Trait(kind, e, value, path, errors),
            "event" => Event(e, value, path, errors),
            "last_seen_within_days" => Only(e, path, errors, kind) && Days(value, $"{path}.{kind}", errors, 3650) is { } d ? new LastSeenWithin(d) : null,
            "has_identifier" => Only(e, path, errors, kind) && Text(value, $"{path}.{kind}", errors) is { } t ? new HasIdentifier(t) : null,
            "data_party" => Only(e, path, errors, kind) && Party(value, $"{path}.{kind}", errors) is { } p ? new FromDataParty(p) : null,
            _ => Only(e, path, errors, kind) && Text(value, $"{path}.{kind}", errors) is { } s ? new FromSource(s) : null,
        };
    }

    private static AudienceRule? Group(string kind, JsonElement e, JsonElement value, string path, int depth, List<RuleError> errors)
    {
        if (!Only(e, path, errors, kind)) return null;
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
        {
            errors.Add(new($"{path}.{kind}", $"expected a non-empty array of conditions, got {Kind(value)}"));
            return null;
        }
        var rules = value.EnumerateArray().Select((r, i) => Node(r, $"{path}.{kind}[{i}]", depth + 1, errors)).ToList();
        if (rules.Any(r => r is null)) return null;
        return kind == "all" ? new AllOf(rules!) : new AnyOf(rules!);
    }

    private static TraitCondition? Trait(string kind, JsonElement e, JsonElement name, string path, List<RuleError> errors)
    {
        var ok = Only(e, path, errors, kind, "op", "value");
        var trait = Text(name, $"{path}.{kind}", errors);
        var op = Operator(e, path, TraitComparison.Operators, errors);
        if (trait is null || op is null || !ok) return null;
        JsonElement? value = e.TryGetProperty("value", out var v) ? v.Clone() : null;
        var valuePath = $"{path}.value";
        string? problem = op switch
        {
            "exists" or "not_exists" => value is null ? null : $"'{op}' takes no value",
            _ when value is null => $"'{op}' needs a value",
            "gt" or "gte" or "lt" or "lte" => value.Value.ValueKind == JsonValueKind.Number
                || (value.Value.ValueKind == JsonValueKind.String && TraitComparison.AsDate(value.Value) is not null)
                    ? null
                    : $"'{op}' needs a number or an ISO-8601 date string, got {Kind(value.Value)}",
            "contains" or "starts_with" => value.Value.ValueKind == JsonValueKind.String ? null : $"'{op}' needs a string, got {Kind(value.Value)}",
            "in" => value.Value.ValueKind == JsonValueKind.Array && value.Value.GetArrayLength() > 0 ? null : $"'in' needs a non-empty array, got {Kind(value.Value)}",
            "within_last_days" or "within_next_days" => value.Value.ValueKind == JsonValueKind.Number && value.Value.TryGetInt32(out var n) && n is > 0 and <= 3650
                ? null
                : $"'{op}' needs a whole number of days from 1 to 3650, got {value.Value.GetRawText()}",
            _ => null,
        };
        if (problem is not null)
        {
            errors.Add(new(valuePath, problem));
            return null;
        }
        return new TraitCondition(trait, op, value, kind == "computed");
    }

    private static EventCondition? Event(JsonElement e, JsonElement name, string path, List<RuleError> errors)
    {
        var ok = Only(e, path, errors, "event", "op", "value", "within_days");
        var eventName = Text(name, $"{path}.event", errors);
        var op = Operator(e, path, EventOperators, errors);
        int? within = e.TryGetProperty("within_days", out var w) ? Days(w, $"{path}.within_days", errors) ?? -1 : null;
        long count = 0;
        var hasValue = e.TryGetProperty("value", out var v);
        if (op is "never" or "ever")
        {
            if (hasValue)
            {
                errors.Add(new($"{path}.value", $"'{op}' takes no value"));
                return null;
            }
        }
        else if (op is not null && (!hasValue || v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out count) || count < 0))
        {
            errors.Add(new($"{path}.value", $"'{op}' needs a count: a whole number of 0 or more, got {(hasValue ? v.GetRawText() : "nothing")}"));
            return null;
        }
        return ok && eventName is not null && op is not null && within is not -1 ? new EventCondition(eventName, op, count, within) : null;
    }

    private static string? Operator(JsonElement e, string path, string[] allowed, List<RuleError> errors)
    {
        if (!e.TryGetProperty("op", out var op))
        {
            errors.Add(new($"{path}.op", $"missing; one of: {string.Join(", ", allowed)}"));
            return null;
        }
        if (op.ValueKind != JsonValueKind.String || !allowed.Contains(op.GetString()))
        {
            errors.Add(new($"{path}.op", $"unknown operator {op.GetRawText()}; one of: {string.Join(", ", allowed)}"));
            return null;
        }
        return op.GetString();
    }

    /// Reports every field that this kind of condition does not know.
    private static bool Only(JsonElement e, string path, List<RuleError> errors, params string[] known)
    {
        var ok = true;
        foreach (var p in e.EnumerateObject().Where(p => !known.Contains(p.Name)))
        {
            errors.Add(new($"{path}.{p.Name}", $"unknown field for a '{known[0]}' condition; allowed: {string.Join(", ", known)}"));
            ok = false;
        }
        return ok;
    }

    private static string? Text(JsonElement e, string path, List<RuleError> errors)
    {
        if (e.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(e.GetString())) return e.GetString();
        errors.Add(new(path, $"expected a non-empty string, got {Kind(e)}"));
        return null;
    }

    private static string? Party(JsonElement e, string path, List<RuleError> errors)
    {
        if (e.ValueKind == JsonValueKind.String && DataParties.IsValid(e.GetString())) return e.GetString();
        errors.Add(new(path, $"expected one of: first, second, third, got {e.GetRawText()}"));
        return null;
    }

    private static int? Days(JsonElement e, string path, List<RuleError> errors, int max = MaxWindowDays)
    {
        if (e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var days) && days > 0 && days <= max) return days;
        errors.Add(new(path, max == MaxWindowDays
            ? $"expected a whole number of days from 1 to {max} (daily counts are kept for {max} days), got {e.GetRawText()}"
            : $"expected a whole number of days from 1 to {max}, got {e.GetRawText()}"));
        return null;
    }

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}

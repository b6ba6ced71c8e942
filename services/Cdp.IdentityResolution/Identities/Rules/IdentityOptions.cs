namespace Cdp.IdentityResolution.Identities.Rules;

/// Settings under Cdp:Identity. Defaults follow Segment's: user_id strongest and unique, email next,
/// at most 5 values of any other type, anonymous ids counted within a week.
public sealed class IdentityOptions
{
    /// Where identifiers come from in a Segment event, in order. Filled with the defaults when empty.
    public List<ExtractionRule> Extract { get; set; } = [];

    /// Rules by identifier type; types not listed get DefaultRule.
    public Dictionary<string, IdentifierRule> Rules { get; set; } = [];

    public IdentifierRule DefaultRule { get; set; } = new() { Priority = 10, Limit = 5 };

    public BlockedValues Blocked { get; set; } = new();

    public int MaxMerges { get; set; } = 100;

    public int MaxIdentifiers { get; set; } = 1000;

    public static readonly List<ExtractionRule> DefaultExtract =
    [
        new() { From = "userId", Type = "user_id" },
        new() { From = "anonymousId", Type = "anonymous_id" },
        new() { From = "traits.email", Type = "email", Normalize = "email" },
        new() { From = "context.traits.email", Type = "email", Normalize = "email" },
        new() { From = "traits.phone", Type = "phone", Normalize = "phone" },
        new() { From = "context.traits.phone", Type = "phone", Normalize = "phone" },
        new() { From = "context.device.id", Type = "device_id" },
        new() { From = "context.externalIds", Type = ExtractionRule.ExternalIds },
    ];

    public static readonly Dictionary<string, IdentifierRule> DefaultRules = new()
    {
        ["user_id"] = new() { Priority = 1, Limit = 1 },
        ["email"] = new() { Priority = 2, Limit = 5 },
        ["phone"] = new() { Priority = 3, Limit = 5 },
        ["device_id"] = new() { Priority = 4, Limit = 5 },
        ["anonymous_id"] = new() { Priority = 5, Limit = 5, Window = TimeSpan.FromDays(7) },
    };

    public IdentifierRule RuleFor(string type) =>
        Rules.TryGetValue(type, out var rule) ? rule : DefaultRules.TryGetValue(type, out var standard) ? standard : DefaultRule;

    public IReadOnlyList<ExtractionRule> Extraction => Extract.Count > 0 ? Extract : DefaultExtract;
}

/// One place an identifier is read from: a dotted path in the event and the type it becomes.
public sealed class ExtractionRule
{
    /// The Segment externalIds array: each {id, type} entry becomes an identifier of its own type.
    public const string ExternalIds = "*externalIds";

    public string From { get; set; } = "";
    public string Type { get; set; } = "";
    /// none (trimmed), email (trimmed, lower-cased) or phone (digits with a leading +).
    public string Normalize { get; set; } = "none";
}

public sealed class IdentifierRule
{
    /// 1 is strongest; when a limit would break, the weakest identifiers of the event are dropped first.
    public int Priority { get; set; } = 10;
    /// The most distinct values of this type one profile may hold.
    public int Limit { get; set; } = 5;
    /// When set, only values added within this window count toward the limit.
    public TimeSpan? Window { get; set; }
}

public sealed class BlockedValues
{
    public List<string> Exact { get; set; } = ["-1", "null", "none", "undefined", "anonymous", "guest", "[object Object]", "NaN"];
    public List<string> Patterns { get; set; } = [@"^[0-]*$", @"^\s*$"];
}

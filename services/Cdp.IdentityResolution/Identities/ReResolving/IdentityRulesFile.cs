using Cdp.IdentityResolution.Identities.Rules;

namespace Cdp.IdentityResolution.Identities.ReResolving;

/// Identity rules in the shape of the Cdp:Identity configuration section, as JSON:
/// {"Rules":{"email":{"Priority":2,"Limit":1}},"Blocked":{"Exact":["test@example.com"]},"MaxMerges":50}.
/// Unknown keys and impossible values are refused with the key named, so a typo cannot pass as a rule.
public static class IdentityRulesFile
{
    public static (IdentityOptions? Options, string? Error) Parse(Stream json)
    {
        var options = new IdentityOptions();
        try
        {
            new ConfigurationBuilder().AddJsonStream(json).Build().Bind(options, b => b.ErrorOnUnknownConfiguration = true);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or System.Text.Json.JsonException or InvalidDataException)
        {
            // The binder's own message is generic; the innermost one names the key.
            var reason = e;
            while (reason.InnerException is { } inner) reason = inner;
            return (null, $"The rules are not valid: {reason.Message} Expected the shape of the Cdp:Identity section: Extract, Rules, DefaultRule, Blocked, MaxMerges, MaxIdentifiers.");
        }
        foreach (var (type, rule) in options.Rules.Append(new KeyValuePair<string, IdentifierRule>("DefaultRule", options.DefaultRule)))
        {
            if (rule.Limit < 1) return (null, $"Rules.{type}.Limit must be at least 1.");
            if (rule.Window is { } w && w <= TimeSpan.Zero) return (null, $"Rules.{type}.Window must be a positive time span, e.g. \"7.00:00:00\".");
        }
        if (options.MaxMerges < 0) return (null, "MaxMerges must be 0 or more.");
        if (options.MaxIdentifiers < 1) return (null, "MaxIdentifiers must be at least 1.");
        foreach (var e in options.Extract.Where(e => string.IsNullOrWhiteSpace(e.From) || (string.IsNullOrWhiteSpace(e.Type) && e.From != ExtractionRule.ExternalIds)))
        {
            return (null, $"Extract entry '{e.From}' needs a From path and a Type.");
        }
        foreach (var pattern in options.Blocked.Patterns)
        {
            try
            {
                _ = new System.Text.RegularExpressions.Regex(pattern);
            }
            catch (ArgumentException e)
            {
                return (null, $"Blocked.Patterns has '{pattern}', which is not a regular expression: {e.Message}");
            }
        }
        return (options, null);
    }
}

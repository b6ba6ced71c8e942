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
        return IdentityRulesCheck.FirstProblem(options) is { } problem ? (null, problem) : (options, null);
    }
}

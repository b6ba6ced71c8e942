using Cdp.IdentityResolution.Identities.Extraction;
using Microsoft.Extensions.Options;

namespace Cdp.IdentityResolution.Identities.Rules;

/// Impossible identity rules, refused with the key named: at startup for configuration (Cdp:Identity), and when an
/// operator dry-runs or applies a rules file.
public sealed class IdentityRulesCheck : IValidateOptions<IdentityOptions>
{
    public ValidateOptionsResult Validate(string? name, IdentityOptions options) =>
        FirstProblem(options) is { } problem ? ValidateOptionsResult.Fail($"Cdp:Identity: {problem}") : ValidateOptionsResult.Success;

    public static string? FirstProblem(IdentityOptions options)
    {
        foreach (var (type, rule) in options.Rules.Append(new KeyValuePair<string, IdentifierRule>("DefaultRule", options.DefaultRule)))
        {
            if (rule.Limit < 1) return $"Rules.{type}.Limit must be at least 1.";
            if (rule.Window is { } w && w <= TimeSpan.Zero) return $"Rules.{type}.Window must be a positive time span, e.g. \"7.00:00:00\".";
        }
        if (options.MaxMerges < 0) return "MaxMerges must be 0 or more.";
        if (options.MaxIdentifiers < 1) return "MaxIdentifiers must be at least 1.";
        foreach (var e in options.Extract.Where(e => string.IsNullOrWhiteSpace(e.From) || (string.IsNullOrWhiteSpace(e.Type) && e.From != ExtractionRule.ExternalIds)))
        {
            return $"Extract entry '{e.From}' needs a From path and a Type.";
        }
        foreach (var pattern in options.Blocked.Patterns)
        {
            try
            {
                _ = IdentifierExtractor.BlockedPattern(pattern);
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException)
            {
                return $"Blocked.Patterns has '{pattern}', which cannot be used: {e.Message} " +
                       "Patterns run without backtracking (linear time, so no value can stall resolution): " +
                       "backreferences, lookarounds, atomic groups and conditionals are not available.";
            }
        }
        return null;
    }
}

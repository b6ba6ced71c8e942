namespace Cdp.Activation.Audiences.Rules;

/// What is wrong with a rule, and where: Path is a JSON path such as $.all[1].op.
public sealed record RuleError(string Path, string Problem);

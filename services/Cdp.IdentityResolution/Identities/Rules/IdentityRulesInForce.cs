using Cdp.IdentityResolution.Identities.Extraction;
using Cdp.IdentityResolution.Identities.ReResolving;
using Marten;
using Microsoft.Extensions.Options;

namespace Cdp.IdentityResolution.Identities.Rules;

/// The rules an operator applied with `./cdp ops identity re-resolve`, as given, and when.
public sealed record AppliedIdentityRules(string Id, string Rules, string RunId, DateTimeOffset AppliedAt)
{
    public const string CurrentId = "current";
}

/// The identity rules in force: configuration's Cdp:Identity until an operator applies others, then those, read
/// from PostgreSQL so they outlive a restart. Read once per process and replaced in place when rules are applied.
public sealed class IdentityRulesInForce(IDocumentStore store, IOptions<IdentityOptions> configured)
{
    public sealed record Rules(IdentityOptions Options, IdentifierExtractor Extractor);

    private Rules? _current;

    public async ValueTask<Rules> CurrentAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _current) is { } current) return current;
        await using var session = store.QuerySession();
        var applied = await session.LoadAsync<AppliedIdentityRules>(AppliedIdentityRules.CurrentId, ct);
        var options = applied is null
            ? configured.Value
            : IdentityRulesFile.Parse(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(applied.Rules))).Options
              ?? throw new InvalidOperationException($"The identity rules applied by {applied.RunId} no longer parse. Fix: apply valid rules again.");
        Interlocked.CompareExchange(ref _current, new Rules(options, new IdentifierExtractor(options)), null);
        return _current!;
    }

    /// After the applied rules are committed: resolution uses them from the next batch on.
    public void Replace(IdentityOptions options) => Volatile.Write(ref _current, new Rules(options, new IdentifierExtractor(options)));
}

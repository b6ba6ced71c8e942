using Cdp.Contracts;
using Cdp.Contracts.Collector;

namespace Cdp.IdentityResolution.Identities.Extraction;

/// The identifiers an event carries, strongest first.
public static class IdentifierExtractor
{
    public static IReadOnlyList<Identifier> Extract(EventCollected e)
    {
        var found = new List<Identifier>();
        if (!string.IsNullOrWhiteSpace(e.UserId)) found.Add(new Identifier("user_id", e.UserId));
        if (!string.IsNullOrWhiteSpace(e.AnonymousId)) found.Add(new Identifier("anonymous_id", e.AnonymousId));
        return found;
    }
}

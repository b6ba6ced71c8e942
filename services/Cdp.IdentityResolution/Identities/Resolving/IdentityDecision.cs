using Cdp.Contracts;

namespace Cdp.IdentityResolution.Identities.Resolving;

/// Where an event goes: an existing profile or a new one, and which identifiers that profile gains.
public sealed record IdentityDecision(string ProfileId, bool IsNewProfile, IReadOnlyList<Identifier> Added)
{
    /// <param name="identifiers">The event's identifiers, strongest first.</param>
    /// <param name="owners">Current owners, by "type:value".</param>
    /// <param name="newProfileId">The id to use when no profile holds any identifier.</param>
    public static IdentityDecision Decide(IReadOnlyList<Identifier> identifiers, IReadOnlyDictionary<string, string> owners, string newProfileId)
    {
        var owner = identifiers.Select(i => owners.GetValueOrDefault(i.ToString())).FirstOrDefault(p => p is not null);
        var added = identifiers.Where(i => !owners.ContainsKey(i.ToString())).ToList();
        return owner is null
            ? new IdentityDecision(newProfileId, true, added)
            : new IdentityDecision(owner, false, added);
    }
}

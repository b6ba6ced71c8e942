using Cdp.Contracts;
using Cdp.IdentityResolution.Identities.Extraction;
using Marten;

namespace Cdp.IdentityResolution.Identities.Resolving;

/// The part of the identity graph a batch touches, read once and then kept up to date in memory
/// as the batch's decisions are made.
public sealed class Graph
{
    private readonly Dictionary<string, string> _owners;

    private Graph(Dictionary<string, string> owners, Dictionary<string, IdentityProfile> profiles)
    {
        _owners = owners;
        Profiles = profiles;
    }

    /// Profiles by id, merged ones included (their MergedInto points on).
    public Dictionary<string, IdentityProfile> Profiles { get; }

    /// A graph held wholly in memory, from nothing: what a re-resolution builds.
    public static Graph Empty() => new([], []);

    /// The profile an identifier or profile id lives on now, following merges.
    public IdentityProfile? CanonicalOf(string profileId) => Canonical(profileId);

    /// The ids of the identifier owners to read for <paramref name="identifiers"/>.
    public static string[] OwnerKeysOf(IEnumerable<Identifier> identifiers) =>
        // An alias's previousId may be a user id or an anonymous id: read both.
        [.. identifiers.SelectMany(i => i.Type == IdentifierExtractor.AliasPrevious
                ? new[] { IdentifierOwner.KeyOf("user_id", i.Value), IdentifierOwner.KeyOf("anonymous_id", i.Value) }
                : [i.ToString()])
            .Distinct()];

    /// The graph of identifier owners already read, with the profiles they lead to: one round trip per hop.
    public static async Task<Graph> FromOwnersAsync(IQuerySession session, IEnumerable<IdentifierOwner> read, CancellationToken ct)
    {
        var owners = read.ToDictionary(o => o.Id, o => o.ProfileId);
        var profiles = new Dictionary<string, IdentityProfile>();
        var wanted = owners.Values.Distinct().ToList();
        for (var hop = 0; wanted.Count > 0 && hop < 10; hop++)
        {
            foreach (var p in await session.LoadManyAsync<IdentityProfile>(ct, wanted)) profiles[p.Id] = p;
            wanted = [.. profiles.Values.Where(p => p.MergedInto is { } next && !profiles.ContainsKey(next)).Select(p => p.MergedInto!).Distinct()];
        }
        return new Graph(owners, profiles);
    }

    /// An alias's previousId is whatever the person was known by: a user id if one holds it, else an anonymous id.
    public List<Identifier> ResolveAliasPrevious(List<Identifier> candidates) =>
        [.. candidates.Select(c => c.Type != IdentifierExtractor.AliasPrevious
                ? c
                : new Identifier(_owners.ContainsKey(IdentifierOwner.KeyOf("user_id", c.Value)) ? "user_id" : "anonymous_id", c.Value))
            .Distinct()];

    /// The canonical profile holding each candidate that has one, by "type:value".
    public Dictionary<string, IdentityProfile> OwnersOf(IEnumerable<Identifier> candidates)
    {
        var result = new Dictionary<string, IdentityProfile>();
        foreach (var key in candidates.Select(c => c.ToString()))
        {
            if (_owners.TryGetValue(key, out var id) && Canonical(id) is { } profile) result[key] = profile;
        }
        return result;
    }

    public void Claim(string key, IdentityProfile profile) => _owners[key] = profile.Id;

    private IdentityProfile? Canonical(string id)
    {
        for (var hop = 0; hop < 10 && Profiles.TryGetValue(id, out var p); hop++)
        {
            if (p.MergedInto is null) return p;
            id = p.MergedInto;
        }
        return null;
    }
}

using Cdp.ServiceDefaults.Persistence;
using Marten;

namespace Cdp.ProfileProjection.Profiles;

/// Follows merge pointers to the profile that is current.
public static class CanonicalProfiles
{
    /// Where a profile id leads: the current profile's id, its document if it has one (a survivor may exist only as
    /// an id so far), and whether the way there passed a profile that a re-resolution superseded (what reaches it
    /// the old way, an event resolved or a merge decided before the rules changed, arrives again re-attributed).
    public sealed record Followed(string Id, CustomerProfile? Profile, bool Superseded)
    {
        public void Deconstruct(out string id, out CustomerProfile? profile) => (id, profile) = (Id, Profile);
    }

    public static async Task<Followed> FollowAsync(IQuerySession session, string profileId, CancellationToken ct)
    {
        var profiles = await LoadFollowingAsync(session, [profileId], ct);
        var (id, superseded) = Follow(profiles, profileId);
        return new Followed(id, profiles.GetValueOrDefault(id), superseded);
    }

    /// Events to append to a profile's stream at the version its document was read at (a profile with no document has no
    /// stream yet), with the profile evolved by them as the projection evolves it: the one read, in place, or a new one.
    /// A writer in another instance that appended meanwhile makes the transaction lose the race (ManyStreamAppend).
    public static StreamAppend<CustomerProfile> AppendAtVersionRead(string profileId, CustomerProfile? read, IReadOnlyList<object> events,
        IReadOnlyList<string?> traces, IReadOnlyList<ComputedTraitDefinition> computed)
    {
        var profile = read ?? new CustomerProfile { Id = profileId };
        var versionRead = profile.Version;
        foreach (var e in events) profile.Record(e, computed);
        profile.Version += events.Count;
        return new StreamAppend<CustomerProfile>(profileId, versionRead, events, traces, profile);
    }

    /// The profiles behind <paramref name="ids"/> and every profile their merge pointers lead to: one round trip per hop
    /// for all of them at once.
    public static async Task<Dictionary<string, CustomerProfile>> LoadFollowingAsync(IQuerySession session, IEnumerable<string> ids, CancellationToken ct) =>
        await FollowingAsync(session, await session.LoadManyAsync<CustomerProfile>(ct, ids.Distinct()), ct);

    /// Profiles already read and every profile their merge pointers lead to: one round trip per further hop.
    public static async Task<Dictionary<string, CustomerProfile>> FollowingAsync(IQuerySession session, IEnumerable<CustomerProfile> read, CancellationToken ct)
    {
        var profiles = read.ToDictionary(p => p.Id);
        for (var hop = 1; hop < 10; hop++)
        {
            var wanted = profiles.Values.Where(p => p.MergedInto is { } next && !profiles.ContainsKey(next)).Select(p => p.MergedInto!).Distinct().ToList();
            if (wanted.Count == 0) break;
            foreach (var p in await session.LoadManyAsync<CustomerProfile>(ct, wanted)) profiles[p.Id] = p;
        }
        return profiles;
    }

    /// Where an id leads through the merge pointers of profiles loaded by <see cref="LoadFollowingAsync"/>, and whether
    /// the way passed a profile that a re-resolution superseded.
    public static (string Id, bool Superseded) Follow(IReadOnlyDictionary<string, CustomerProfile> profiles, string id)
    {
        var superseded = false;
        for (var hop = 0; hop < 10 && profiles.TryGetValue(id, out var p); hop++)
        {
            superseded |= p.RetiredBy is not null;
            if (p.MergedInto is not { } next) break;
            id = next;
        }
        return (id, superseded);
    }

    public static async Task<CustomerProfile?> LoadAsync(IQuerySession session, string profileId, CancellationToken ct) =>
        (await FollowAsync(session, profileId, ct)).Profile;
}

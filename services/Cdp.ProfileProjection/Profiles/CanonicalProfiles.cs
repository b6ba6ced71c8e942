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
        CustomerProfile? profile = null;
        var superseded = false;
        for (var hop = 0; hop < 10; hop++)
        {
            profile = await session.LoadAsync<CustomerProfile>(profileId, ct);
            superseded |= profile?.RetiredBy is not null;
            if (profile?.MergedInto is null) return new Followed(profileId, profile, superseded);
            profileId = profile.MergedInto;
        }
        return new Followed(profileId, profile, superseded);
    }

    public static async Task<CustomerProfile?> LoadAsync(IQuerySession session, string profileId, CancellationToken ct) =>
        (await FollowAsync(session, profileId, ct)).Profile;
}

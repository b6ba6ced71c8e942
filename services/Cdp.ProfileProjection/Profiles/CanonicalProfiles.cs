using Marten;

namespace Cdp.ProfileProjection.Profiles;

/// Follows merge pointers to the profile that is current.
public static class CanonicalProfiles
{
    /// The current profile's id, and its document if it has one (a survivor may exist only as an id so far).
    public static async Task<(string Id, CustomerProfile? Profile)> FollowAsync(IQuerySession session, string profileId, CancellationToken ct)
    {
        CustomerProfile? profile = null;
        for (var hop = 0; hop < 10; hop++)
        {
            profile = await session.LoadAsync<CustomerProfile>(profileId, ct);
            if (profile?.MergedInto is null) return (profileId, profile);
            profileId = profile.MergedInto;
        }
        return (profileId, profile);
    }

    /// True when the profile, or one it was merged into, was superseded by a re-resolution: what reaches it the
    /// old way (an event resolved, a merge decided before the rules changed) arrives again re-attributed.
    public static async Task<bool> SupersededAsync(IQuerySession session, string profileId, CancellationToken ct)
    {
        for (var hop = 0; hop < 10; hop++)
        {
            var profile = await session.LoadAsync<CustomerProfile>(profileId, ct);
            if (profile?.RetiredBy is not null) return true;
            if (profile?.MergedInto is null) return false;
            profileId = profile.MergedInto;
        }
        return false;
    }

    public static async Task<string> ResolveAsync(IQuerySession session, string profileId, CancellationToken ct) =>
        (await FollowAsync(session, profileId, ct)).Id;

    public static async Task<CustomerProfile?> LoadAsync(IQuerySession session, string profileId, CancellationToken ct) =>
        (await FollowAsync(session, profileId, ct)).Profile;
}

using Marten;

namespace Cdp.ProfileProjection.Profiles;

/// Follows merge pointers to the profile that is current.
public static class CanonicalProfiles
{
    public static async Task<string> ResolveAsync(IQuerySession session, string profileId, CancellationToken ct)
    {
        for (var hop = 0; hop < 10; hop++)
        {
            var profile = await session.LoadAsync<CustomerProfile>(profileId, ct);
            if (profile?.MergedInto is null) return profileId;
            profileId = profile.MergedInto;
        }
        return profileId;
    }

    public static async Task<CustomerProfile?> LoadAsync(IQuerySession session, string profileId, CancellationToken ct) =>
        await session.LoadAsync<CustomerProfile>(await ResolveAsync(session, profileId, ct), ct);
}

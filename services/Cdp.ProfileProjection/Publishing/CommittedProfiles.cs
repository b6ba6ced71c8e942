using Cdp.ProfileProjection.Profiles;
using Microsoft.Extensions.Caching.Memory;

namespace Cdp.ProfileProjection.Publishing;

/// The profiles this process has just committed, kept for the publisher, which otherwise loads back every profile
/// of a page it publishes (a second read and deserialization of each document per event). Only a shortcut: a profile
/// not here, or older than the events being published, is loaded from the store. Nothing changes a document once it
/// is here. Bounded by count and age, since another instance may be the one that publishes.
public sealed class CommittedProfiles : IDisposable
{
    private static readonly MemoryCacheEntryOptions Entry = new() { Size = 1, AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(30) };
    private readonly MemoryCache _profiles = new(new MemoryCacheOptions { SizeLimit = 2_000 });

    public void Add(CustomerProfile committed) => _profiles.Set(committed.Id, committed, Entry);

    /// <summary>The profile as committed at <paramref name="version"/> or later, if this process committed it.</summary>
    public CustomerProfile? AtLeast(string id, long version) =>
        _profiles.TryGetValue(id, out CustomerProfile? profile) && profile!.Version >= version ? profile : null;

    public void Dispose() => _profiles.Dispose();
}

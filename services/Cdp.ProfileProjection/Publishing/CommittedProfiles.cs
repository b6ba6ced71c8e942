using Cdp.ProfileProjection.Profiles;

namespace Cdp.ProfileProjection.Publishing;

/// Profiles the recording has just committed, handed to the publisher so that it need not read them back: the
/// publisher's read was half of the profile loads, 7 s of PostgreSQL's time in a 1,000 events/s run
/// (docs/performance.md, twelfth round). Bounded: the oldest are dropped first, and the publisher reads those (or
/// any profile another process wrote) from the store as before. Nothing changes a profile once it is here.
/// Nothing is kept while no publisher asks: in a process whose publisher does not run (HotCold, another instance
/// leads) they would only take memory.
public sealed class CommittedProfiles(TimeProvider clock, int capacity = CommittedProfiles.DefaultCapacity)
{
    /// More than two of the recording's groups (800 events at most), so a publisher a second behind still finds them.
    public const int DefaultCapacity = 2_000;

    /// A running publisher asks for every page of events, many times a second under load.
    public static readonly TimeSpan PublisherSilence = TimeSpan.FromSeconds(30);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, CustomerProfile> _profiles = [];
    private readonly Queue<(string Id, long Version)> _arrivals = new();
    private DateTimeOffset _lastAsked = clock.GetUtcNow();

    public int Count
    {
        get
        {
            lock (_gate) return _profiles.Count;
        }
    }

    /// Keeps each profile unless a newer version of it is held already.
    public void Add(IEnumerable<CustomerProfile> committed)
    {
        lock (_gate)
        {
            if (clock.GetUtcNow() - _lastAsked > PublisherSilence)
            {
                _profiles.Clear();
                _arrivals.Clear();
                return;
            }
            foreach (var profile in committed)
            {
                if (_profiles.TryGetValue(profile.Id, out var held) && held.Version >= profile.Version) continue;
                _profiles[profile.Id] = profile;
                _arrivals.Enqueue((profile.Id, profile.Version));
            }
            // An arrival whose profile was taken or replaced since holds nothing; dropping it costs nothing.
            while (_arrivals.Count > capacity)
            {
                var (id, version) = _arrivals.Dequeue();
                if (_profiles.TryGetValue(id, out var held) && held.Version == version) _profiles.Remove(id);
            }
        }
    }

    /// The profile as committed at <paramref name="version"/> or later, if held. Taken at exactly that version it is
    /// let go: the publisher has no later event of it to publish yet.
    public bool TryTake(string id, long version, out CustomerProfile profile)
    {
        lock (_gate)
        {
            _lastAsked = clock.GetUtcNow();
            if (!_profiles.TryGetValue(id, out profile!) || profile.Version < version) return false;
            if (profile.Version == version) _profiles.Remove(id);
            return true;
        }
    }
}

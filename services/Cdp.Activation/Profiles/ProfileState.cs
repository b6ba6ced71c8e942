using Cdp.Activation.Audiences.Definitions;
using Cdp.Contracts.Profiles;

namespace Cdp.Activation.Profiles;

/// The latest snapshot of a profile that audiences are evaluated against. MergedInto is set once
/// the profile was merged into another: it then belongs to no audience.
/// DueAt is when the clock sweep next evaluates the profile: the first instant at which a time-dependent audience could
/// answer differently for it with no new event (<see cref="Never"/> when none can). A state stored before due times
/// has none, and the next clock sweep evaluates it.
public sealed record ProfileState(string Id, long Version, ProfileSnapshot Snapshot, string MessageId, DateTimeOffset UpdatedAt,
    string? MergedInto = null, DateTimeOffset? DueAt = null)
{
    /// Far enough never to come, near enough for PostgreSQL's timestamptz and an index.
    public static readonly DateTimeOffset Never = new(9999, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// This state with its due time for <paramref name="audiences"/> (all of them: a sweep of some still must not
    /// postpone the others) as of <paramref name="now"/>.
    public ProfileState DueFor(IEnumerable<Audience> audiences, DateTimeOffset now) => this with
    {
        // In UTC: a date trait may carry an offset, and Npgsql writes a timestamptz only from offset zero.
        DueAt = MergedInto is null ? audiences.Min(a => a.NextChange(Snapshot, now))?.ToUniversalTime() ?? Never : Never,
    };
}

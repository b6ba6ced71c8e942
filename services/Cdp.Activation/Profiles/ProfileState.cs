using Cdp.Contracts.Profiles;

namespace Cdp.Activation.Profiles;

/// The latest snapshot of a profile that audiences are evaluated against. MergedInto is set once
/// the profile was merged into another: it then belongs to no audience.
public sealed record ProfileState(string Id, long Version, ProfileSnapshot Snapshot, string MessageId, DateTimeOffset UpdatedAt,
    string? MergedInto = null);

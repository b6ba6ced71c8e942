using Cdp.Contracts.Profiles;

namespace Cdp.Activation.Profiles;

/// The latest snapshot of a profile that audiences are evaluated against.
public sealed record ProfileState(string Id, long Version, ProfileSnapshot Snapshot, string MessageId, DateTimeOffset UpdatedAt);

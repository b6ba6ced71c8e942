namespace Cdp.Contracts.Profiles;

/// <summary>
/// Several profile changes in one message, in the order the profile store recorded them: what ProfileProjection
/// publishes, so that RabbitMQ and Activation handle one message per page of changes instead of one per profile.
/// Each entry is handled exactly as a <see cref="ProfileChanged"/> sent alone; a message stays under 48 KB of JSON.
/// </summary>
/// <param name="Changes">The changes, at most one per profile.</param>
public sealed record ProfilesChanged(IReadOnlyList<ProfileChanged> Changes);

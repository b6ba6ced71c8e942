namespace Cdp.Contracts.Identity;

/// <summary>
/// New identity rules were applied and this profile's events now belong to other profiles (it was split, or
/// joined with others): it lives on as a pointer to <paramref name="SucceededBy"/>, the profile that holds most
/// of its events. Its events arrive again, re-attributed, as <see cref="EventResolved"/> with a Reassignment.
/// </summary>
/// <param name="ProfileId">The retired profile.</param>
/// <param name="SucceededBy">Where lookups of the retired profile go now.</param>
/// <param name="RunId">The re-resolution that retired it.</param>
/// <param name="At">When the rules were applied.</param>
public sealed record ProfileRetired(string ProfileId, string SucceededBy, string RunId, DateTimeOffset At);

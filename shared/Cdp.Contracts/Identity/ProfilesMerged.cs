namespace Cdp.Contracts.Identity;

/// <summary>Two profiles turned out to be one person: <paramref name="MergedId"/> now lives on in <paramref name="SurvivorId"/>.</summary>
/// <param name="SurvivorId">The older profile, which absorbs the other.</param>
/// <param name="MergedId">The profile that becomes a pointer to the survivor.</param>
/// <param name="MessageId">The collected event that linked them.</param>
/// <param name="Evidence">The identifier both profiles were seen with.</param>
/// <param name="At">When the merge was decided.</param>
public sealed record ProfilesMerged(string SurvivorId, string MergedId, string MessageId, Identifier Evidence, DateTimeOffset At);

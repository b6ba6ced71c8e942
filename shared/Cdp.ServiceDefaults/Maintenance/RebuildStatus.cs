namespace Cdp.ServiceDefaults.Maintenance;

/// <summary>What <c>GET /v1/admin/rebuild</c> answers: the latest rebuild of this service's projections.</summary>
/// <param name="State">idle, pausing, draining, rebuilding, completed or failed.</param>
/// <param name="Projections">The projections rebuilt, in order.</param>
/// <param name="Current">The projection being rebuilt now.</param>
/// <param name="Total">Events in the store when the rebuild began.</param>
/// <param name="Processed">Events the current projection has been rebuilt through (its sequence).</param>
/// <param name="StartedAt">When it was asked for.</param>
/// <param name="FinishedAt">When it completed or failed.</param>
/// <param name="EventsPerSecond">Events projected per second over the whole rebuild, every projection counted.</param>
/// <param name="Incomplete">A rebuild failed after deleting documents: writers stay held and reads answer 503 until one completes.</param>
/// <param name="Error">Why it failed, with the fix where known.</param>
public sealed record RebuildStatus(string State, IReadOnlyList<string> Projections, string? Current, long Total, long Processed,
    DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, double? EventsPerSecond, string? Error, bool Incomplete = false)
{
    /// <summary>No rebuild since the service started.</summary>
    public static RebuildStatus Idle(IReadOnlyList<string> projections) => new("idle", projections, null, 0, 0, null, null, null, null);

    /// <summary>True while a rebuild holds the writers.</summary>
    public bool Running => State is "pausing" or "draining" or "rebuilding";
}

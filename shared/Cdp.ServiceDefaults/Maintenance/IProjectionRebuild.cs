namespace Cdp.ServiceDefaults.Maintenance;

/// <summary>
/// A projection rebuilt by its own code rather than Marten's daemon, where the daemon's page-by-page upserts
/// are too slow for the document (see ProfileProjection's ProfileRebuild). Register it as a singleton;
/// <see cref="ProjectionRebuilder"/> uses it for the projection of that name.
/// </summary>
public interface IProjectionRebuild
{
    /// <summary>The projection's name.</summary>
    string Name { get; }

    /// <summary>Rebuilds the projection's documents from every event, reporting events applied so far.</summary>
    Task RebuildAsync(Action<long> applied, CancellationToken ct);
}

namespace Cdp.Ops.Replay;

/// Where a replay got to, written after each confirmed page, so an interrupted replay resumes after the
/// last event the broker confirmed (events since confirmed again may be published twice, with the same message id).
/// <param name="HighWater">The store's last sequence when the replay began: it ends there.</param>
/// <param name="After">Every matching event up to this sequence is confirmed.</param>
public sealed record ReplayCheckpoint(string Filter, string Target, long HighWater, long After, long Published, bool Completed, DateTimeOffset UpdatedAt)
{
    public static Task<ReplayCheckpoint?> ReadAsync(string path, CancellationToken ct) => CheckpointFile.ReadAsync<ReplayCheckpoint>(path, "a replay", ct);

    public Task WriteAsync(string path) => CheckpointFile.WriteAsync(path, this);
}

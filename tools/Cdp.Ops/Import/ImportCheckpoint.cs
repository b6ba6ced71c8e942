namespace Cdp.Ops.Import;

/// Where an import got to: every row up to Row is accepted by the Collector or written to the rejects file.
/// Rows are sent again after an interruption only past Row, and their message ids are derived from the file
/// and the row, so a row sent twice is one event downstream.
public sealed record ImportCheckpoint(string File, string FileHash, string SourceId, long Row, long Accepted, long Rejected, bool Completed,
    DateTimeOffset UpdatedAt)
{
    public static Task<ImportCheckpoint?> ReadAsync(string path, CancellationToken ct) => CheckpointFile.ReadAsync<ImportCheckpoint>(path, "an import", ct);

    public Task WriteAsync(string path) => CheckpointFile.WriteAsync(path, this);
}

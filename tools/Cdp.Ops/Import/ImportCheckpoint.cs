using System.Text.Json;

namespace Cdp.Ops.Import;

/// Where an import got to: every row up to Row is accepted by the Collector or written to the rejects file.
/// Rows are sent again after an interruption only past Row, and their message ids are derived from the file
/// and the row, so a row sent twice is one event downstream.
public sealed record ImportCheckpoint(string File, string FileHash, string SourceId, long Row, long Accepted, long Rejected, bool Completed,
    DateTimeOffset UpdatedAt)
{
    public static async Task<ImportCheckpoint?> ReadAsync(string path, CancellationToken ct)
    {
        if (!System.IO.File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<ImportCheckpoint>(await System.IO.File.ReadAllTextAsync(path, ct), OpsCli.Json);
        }
        catch (JsonException e)
        {
            throw new UsageException($"checkpoint {path} is not an import checkpoint ({e.Message}). Fix: pass --restart, or another --checkpoint.");
        }
    }

    public async Task WriteAsync(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".tmp";
        await System.IO.File.WriteAllTextAsync(temporary, JsonSerializer.Serialize(this, OpsCli.Json));
        System.IO.File.Move(temporary, path, overwrite: true);
    }
}

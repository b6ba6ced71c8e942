using System.Text.Json;

namespace Cdp.Ops.Replay;

/// Where a replay got to, written after each confirmed page, so an interrupted replay resumes after the
/// last event the broker confirmed (events since confirmed again may be published twice, with the same message id).
/// <param name="HighWater">The store's last sequence when the replay began: it ends there.</param>
/// <param name="After">Every matching event up to this sequence is confirmed.</param>
public sealed record ReplayCheckpoint(string Filter, string Target, long HighWater, long After, long Published, bool Completed, DateTimeOffset UpdatedAt)
{
    public static async Task<ReplayCheckpoint?> ReadAsync(string path, CancellationToken ct)
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<ReplayCheckpoint>(await File.ReadAllTextAsync(path, ct), OpsCli.Json);
        }
        catch (JsonException e)
        {
            throw new UsageException($"checkpoint {path} is not a replay checkpoint ({e.Message}). Fix: pass --restart, or another --checkpoint.");
        }
    }

    // Written beside and moved over, so an interruption never leaves half a checkpoint.
    public async Task WriteAsync(string path, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".tmp";
        await File.WriteAllTextAsync(temporary, JsonSerializer.Serialize(this, OpsCli.Json), CancellationToken.None);
        File.Move(temporary, path, overwrite: true);
    }
}

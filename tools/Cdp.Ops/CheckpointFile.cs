using System.Text.Json;

namespace Cdp.Ops;

/// A resumable command's checkpoint as a JSON file, written beside and moved over so an interruption never leaves half of one.
public static class CheckpointFile
{
    public static async Task<T?> ReadAsync<T>(string path, string what, CancellationToken ct) where T : class
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<T>(await File.ReadAllTextAsync(path, ct), OpsCli.Json);
        }
        catch (JsonException e)
        {
            throw new UsageException($"checkpoint {path} is not {what} checkpoint ({e.Message}). Fix: pass --restart, or another --checkpoint.");
        }
    }

    public static async Task WriteAsync<T>(string path, T checkpoint)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".tmp";
        await File.WriteAllTextAsync(temporary, JsonSerializer.Serialize(checkpoint, OpsCli.Json), CancellationToken.None);
        File.Move(temporary, path, overwrite: true);
    }
}

using System.Text;
using System.Text.Json;
using Cdp.Testing;

namespace Cdp.Benchmarks;

/// A benchmark's figures, written as JSON (for scripts and comparisons) and Markdown (for notes) under .cdp/bench/.
public sealed record BenchResult(string Name, DateTimeOffset At, Dictionary<string, object> Figures, IReadOnlyList<ProcessUsage.Usage> Processes)
{
    public async Task<string> WriteAsync()
    {
        var dir = Directory.CreateDirectory(Path.Combine(Platform.RepositoryRoot(), ".cdp", "bench")).FullName;
        var stem = Path.Combine(dir, $"{Name}-{At:yyyyMMdd-HHmmss}");
        await File.WriteAllTextAsync(stem + ".json", JsonSerializer.Serialize(this, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
        var md = new StringBuilder($"# {Name} benchmark, {At:yyyy-MM-dd HH:mm} UTC\n\n| figure | value |\n|---|---|\n");
        foreach (var (k, v) in Figures) md.Append($"| {k} | {v} |\n");
        md.Append("\n| process | CPU (% of one core) | peak working set (MB) |\n|---|---|---|\n");
        foreach (var p in Processes) md.Append($"| {p.Name} | {p.CpuPercentOfOneCore} | {p.PeakWorkingSetMb} |\n");
        await File.WriteAllTextAsync(stem + ".md", md.ToString());
        return stem;
    }
}

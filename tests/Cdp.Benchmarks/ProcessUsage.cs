using System.Diagnostics;

namespace Cdp.Benchmarks;

/// CPU time and peak working set of the processes a benchmark loads (the services, PostgreSQL, RabbitMQ),
/// read from /proc, so a run can say which resource was the bottleneck.
public sealed class ProcessUsage
{
    public sealed record Usage(string Name, double CpuPercentOfOneCore, double PeakWorkingSetMb);

    private readonly Dictionary<string, Func<IEnumerable<int>>> _groups = [];
    private readonly Dictionary<string, double> _peakMb = [];
    private readonly Stopwatch _clock = new();
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    public ProcessUsage Track(string name, Func<IEnumerable<int>> processIds)
    {
        _groups[name] = processIds;
        return this;
    }

    /// The four services of <paramref name="platform"/>, PostgreSQL and RabbitMQ: everything a pipeline run loads.
    public static ProcessUsage OfPipeline(Cdp.Testing.Platform platform)
    {
        var usage = new ProcessUsage();
        foreach (var service in Cdp.Testing.Platform.Services) usage.Track(service, () => [platform.ProcessIdOf(service)]);
        return usage.Track("PostgreSQL", () => ByUser("postgres")).Track("RabbitMQ", () => ByName("beam.smp"));
    }

    public static IEnumerable<int> ByName(string executable) =>
        Process.GetProcessesByName(executable).Select(p => p.Id);

    public static IEnumerable<int> ByUser(string user)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            string? status;
            try
            {
                status = File.ReadAllText(Path.Combine(dir, "status"));
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }
            var uid = status.Split('\n').FirstOrDefault(l => l.StartsWith("Uid:"))?.Split('\t', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1);
            if (uid is not null && uid == UidOf(user)) yield return pid;
        }
    }

    private static string? UidOf(string user) =>
        File.ReadLines("/etc/passwd").Select(l => l.Split(':')).FirstOrDefault(f => f[0] == user)?.ElementAtOrDefault(2);

    // Per group, each process's CPU seconds when measuring started (0 for one started since) and when last seen, so a
    // process that exits mid-run (a PostgreSQL backend whose pooled connection was pruned) keeps what it used.
    private readonly Dictionary<string, Dictionary<int, (double Start, double Last)>> _cpu = [];

    public void Start()
    {
        _cpu.Clear();
        foreach (var (name, ids) in _groups) _cpu[name] = ids().ToDictionary(id => id, id => (CpuSeconds(id), CpuSeconds(id)));
        _clock.Restart();
    }

    /// Call now and then while measuring (once a second), to catch peaks and the CPU of processes before they exit.
    public void Sample()
    {
        foreach (var (name, ids) in _groups)
        {
            var current = ids().ToList();
            _peakMb[name] = Math.Max(_peakMb.GetValueOrDefault(name), current.Sum(RssMb));
            if (!_cpu.TryGetValue(name, out var seen)) continue;
            foreach (var id in current)
            {
                var cpu = CpuSeconds(id);
                seen[id] = seen.TryGetValue(id, out var s) ? (s.Start, Math.Max(s.Last, cpu)) : (0, cpu);
            }
        }
    }

    public IReadOnlyList<Usage> Stop()
    {
        Sample();
        var seconds = Math.Max(0.001, _clock.Elapsed.TotalSeconds);
        return [.. _groups.Select(g => new Usage(g.Key,
            Math.Round(100 * _cpu.GetValueOrDefault(g.Key, []).Values.Sum(c => c.Last - c.Start) / seconds, 1),
            Math.Round(_peakMb.GetValueOrDefault(g.Key), 0)))];
    }

    private static double CpuSeconds(int id)
    {
        try
        {
            // Fields after the command name: utime is 14th and stime 15th of the whole line.
            var stat = File.ReadAllText($"/proc/{id}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (double.Parse(fields[11]) + double.Parse(fields[12])) / TicksPerSecond;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return 0;
        }
    }

    private static double RssMb(int id)
    {
        try
        {
            var line = File.ReadLines($"/proc/{id}/status").FirstOrDefault(l => l.StartsWith("VmRSS:"));
            return line is null ? 0 : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return 0;
        }
    }
}

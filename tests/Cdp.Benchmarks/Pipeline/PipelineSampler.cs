using Cdp.Testing;
using Npgsql;

namespace Cdp.Benchmarks.Pipeline;

/// Once a second during a run: every queue's depth and the messages delivered to its consumers so far from RabbitMQ's management API, every
/// Marten subscription's lag behind its store's head, and the machine's CPU use from /proc/stat; so the run can say
/// whether each queue drained or grew, at what rate each stage consumed, and how busy the machine was.
public sealed class PipelineSampler : IAsyncDisposable
{
    public sealed record Sample(double At, Dictionary<string, long> Depths, Dictionary<string, long> Delivered,
        Dictionary<string, long> SubscriptionLags, double MachineCpuPercent);

    private static readonly string[] Schemas = ["identity", "profiles", "activation"];
    private readonly IsolatedEnvironment _environment;
    private readonly NpgsqlDataSource _db;
    private (long Busy, long Total) _cpu = MachineCpu();

    public List<Sample> Samples { get; } = [];

    public PipelineSampler(IsolatedEnvironment environment)
    {
        _environment = environment;
        _db = NpgsqlDataSource.Create(environment.Postgres);
    }

    public async Task<Sample> SampleAsync(double at, CancellationToken ct)
    {
        var queues = await _environment.QueuesAsync(ct);
        var depths = queues.ToDictionary(q => q.Name, q => q.Messages);
        // Counters, not the API's rates: a rate is smoothed over a few seconds and missing while a queue is idle.
        var delivered = queues.ToDictionary(q => q.Name, q => q.Delivered);
        var lags = new Dictionary<string, long>();
        foreach (var schema in Schemas)
        {
            await using var command = _db.CreateCommand($"""
                select p.name, greatest(0, (select coalesce(max(seq_id), 0) from {schema}.mt_events) - p.last_seq_id)
                from {schema}.mt_event_progression p where p.name like '%:All'
                """);
            try
            {
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct)) lags[$"{schema}: {reader.GetString(0)[..^":All".Length]}"] = reader.GetInt64(1);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
            {
                // That service has not created its store yet.
            }
        }
        var cpu = MachineCpu();
        var machine = cpu.Total > _cpu.Total ? 100.0 * Environment.ProcessorCount * (cpu.Busy - _cpu.Busy) / (cpu.Total - _cpu.Total) : 0;
        _cpu = cpu;
        var sample = new Sample(at, depths, delivered, lags, Math.Round(machine));
        Samples.Add(sample);
        return sample;
    }

    /// Busy and total jiffies of all cores, from the first line of /proc/stat.
    private static (long Busy, long Total) MachineCpu()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
        var idle = fields[3] + fields[4];
        var total = fields.Take(8).Sum();
        return (total - idle, total);
    }

    public ValueTask DisposeAsync() => _db.DisposeAsync();
}

using Cdp.Testing;

namespace Cdp.Benchmarks.Pipeline;

/// Inside each service, over the measured window: its group commits (how many, how large, how long the oldest message
/// waited for its group to start and how long the group took) and the latency it recorded on commit, from the
/// Prometheus histograms on its /metrics, read at the window's start and end.
public sealed class GroupCommitFigures(Platform platform)
{
    private static readonly string[] Services = ["IdentityResolution", "ProfileProjection", "Activation"];
    private Dictionary<string, MetricHistograms> _start = [];

    public async Task StartAsync(CancellationToken ct) => _start = await ScrapeAsync(ct);

    /// One line per service and entry kind (or stage), named for the figures table.
    public async Task<Dictionary<string, string>> StopAsync(double seconds, CancellationToken ct)
    {
        var end = await ScrapeAsync(ct);
        var figures = new Dictionary<string, string>();
        foreach (var service in Services)
        {
            if (!end.TryGetValue(service, out var after)) continue;
            var before = _start.GetValueOrDefault(service) ?? new MetricHistograms();
            foreach (var entry in after.Labels("cdp_group_commit_duration_seconds"))
            {
                var duration = after.Delta(before, "cdp_group_commit_duration_seconds", entry);
                var wait = after.Delta(before, "cdp_group_commit_wait_seconds", entry);
                var entries = after.Delta(before, "cdp_group_commit_entries", entry);
                if (duration.Count == 0) continue;
                figures[$"in {service}: {entry} groups/s, entries a group, wait p50/p99 ms, group p50/p99 ms"] =
                    $"{duration.Count / seconds:N1}, {entries.Sum / Math.Max(1, entries.Count):N1}, " +
                    $"{wait.Percentile(0.5) * 1000:N0}/{wait.Percentile(0.99) * 1000:N0}, {duration.Percentile(0.5) * 1000:N0}/{duration.Percentile(0.99) * 1000:N0}";
            }
            foreach (var stage in after.Labels("cdp_events_latency_seconds"))
            {
                var latency = after.Delta(before, "cdp_events_latency_seconds", stage);
                if (latency.Count == 0) continue;
                figures[$"in {service}: accepted → {stage} committed, p50/p99 ms (histogram buckets)"] =
                    $"{latency.Percentile(0.5) * 1000:N0}/{latency.Percentile(0.99) * 1000:N0}";
            }
        }
        return figures;
    }

    private async Task<Dictionary<string, MetricHistograms>> ScrapeAsync(CancellationToken ct)
    {
        var scraped = new Dictionary<string, MetricHistograms>();
        foreach (var service in Services)
        {
            using var client = platform.Client(service);
            try
            {
                scraped[service] = MetricHistograms.Parse(await client.GetStringAsync("/metrics", ct));
            }
            catch (HttpRequestException)
            {
                // A service that does not answer leaves its lines out of the result, not the run.
            }
        }
        return scraped;
    }
}

using System.Globalization;
using Cdp.Testing;

namespace Cdp.Benchmarks.Pipeline;

/// Inside each service, over the measured window: its group commits (how many, how large, how long the oldest message
/// waited for its group to start and how long the group took) and the latency it recorded on commit, from the
/// Prometheus histograms on its /metrics, read at the window's start and end.
public sealed partial class GroupCommitFigures(Platform platform)
{
    private static readonly string[] Services = ["IdentityResolution", "ProfileProjection", "Activation"];
    private Dictionary<string, Histograms> _start = [];

    public async Task StartAsync(CancellationToken ct) => _start = await ScrapeAsync(ct);

    /// One line per service and entry kind (or stage), named for the figures table.
    public async Task<Dictionary<string, string>> StopAsync(double seconds, CancellationToken ct)
    {
        var end = await ScrapeAsync(ct);
        var figures = new Dictionary<string, string>();
        foreach (var service in Services)
        {
            if (!end.TryGetValue(service, out var after)) continue;
            var before = _start.GetValueOrDefault(service) ?? new Histograms();
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

    private async Task<Dictionary<string, Histograms>> ScrapeAsync(CancellationToken ct)
    {
        var scraped = new Dictionary<string, Histograms>();
        foreach (var service in Services)
        {
            using var client = platform.Client(service);
            try
            {
                scraped[service] = Histograms.Parse(await client.GetStringAsync("/metrics", ct));
            }
            catch (HttpRequestException)
            {
                // A service that does not answer leaves its lines out of the result, not the run.
            }
        }
        return scraped;
    }

    /// Cumulative bucket counts and sums of the histograms on one /metrics page, by metric, label and bound.
    private sealed partial class Histograms
    {
        private readonly Dictionary<(string Metric, string Label), SortedDictionary<double, double>> _buckets = [];
        private readonly Dictionary<(string Metric, string Label), double> _sums = [];

        public sealed record Window(double Count, double Sum, IReadOnlyList<(double Bound, double Count)> Buckets)
        {
            /// Linear inside the bucket the quantile falls in, as Prometheus's histogram_quantile does.
            public double Percentile(double q)
            {
                if (Count == 0) return 0;
                var rank = q * Count;
                double lowerBound = 0, lowerCount = 0;
                foreach (var (bound, count) in Buckets)
                {
                    if (count >= rank)
                    {
                        if (double.IsPositiveInfinity(bound)) return lowerBound;
                        return lowerBound + (bound - lowerBound) * (rank - lowerCount) / Math.Max(1e-9, count - lowerCount);
                    }
                    (lowerBound, lowerCount) = (bound, count);
                }
                return lowerBound;
            }
        }

        public static Histograms Parse(string page)
        {
            var parsed = new Histograms();
            foreach (var line in page.Split('\n'))
            {
                if (line.StartsWith('#') || !line.StartsWith("cdp_")) continue;
                var brace = line.IndexOf('{');
                if (brace < 0) continue;
                var name = line[..brace];
                var labels = line[(brace + 1)..line.IndexOf('}')];
                var value = double.Parse(line[(line.IndexOf('}') + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                var label = Label(labels, "entry") ?? Label(labels, "stage") ?? "";
                if (name.EndsWith("_bucket"))
                {
                    var le = Label(labels, "le")!;
                    var bound = le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture);
                    var key = (name[..^"_bucket".Length], label);
                    if (!parsed._buckets.TryGetValue(key, out var buckets)) parsed._buckets[key] = buckets = [];
                    buckets[bound] = value;
                }
                else if (name.EndsWith("_sum"))
                {
                    parsed._sums[(name[..^"_sum".Length], label)] = value;
                }
            }
            return parsed;
        }

        public IEnumerable<string> Labels(string metric) =>
            _buckets.Keys.Where(k => k.Metric == metric && k.Label != "").Select(k => k.Label).Distinct();

        public Window Delta(Histograms before, string metric, string label)
        {
            var key = (metric, label);
            if (!_buckets.TryGetValue(key, out var after)) return new Window(0, 0, []);
            var earlier = before._buckets.GetValueOrDefault(key);
            var buckets = after.Select(b => (b.Key, b.Value - (earlier?.GetValueOrDefault(b.Key) ?? 0))).ToList();
            var count = buckets.Count == 0 ? 0 : buckets[^1].Item2;
            var sum = _sums.GetValueOrDefault(key) - before._sums.GetValueOrDefault(key);
            return new Window(count, sum, buckets);
        }

        private static string? Label(string labels, string name) =>
            LabelPairs().Matches(labels).FirstOrDefault(m => m.Groups[1].Value == name)?.Groups[2].Value;

        [System.Text.RegularExpressions.GeneratedRegex(@"(\w+)=""([^""]*)""")]
        private static partial System.Text.RegularExpressions.Regex LabelPairs();
    }
}

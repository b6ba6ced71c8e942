using System.Globalization;

namespace Cdp.Testing;

/// Cumulative bucket counts and sums of the histograms on one Prometheus /metrics page (the services' <c>cdp_</c>
/// metrics), by metric, label (the <c>entry</c> or <c>stage</c> label's value) and bound.
public sealed partial class MetricHistograms
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

    public static MetricHistograms Parse(string page)
    {
        var parsed = new MetricHistograms();
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

    /// The cumulative count of each bucket of <paramref name="metric"/> with <paramref name="label"/>, by upper bound
    /// (empty when the page has none).
    public IReadOnlyDictionary<double, double> Buckets(string metric, string label) =>
        _buckets.GetValueOrDefault((metric, label)) ?? new SortedDictionary<double, double>();

    public Window Delta(MetricHistograms before, string metric, string label)
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

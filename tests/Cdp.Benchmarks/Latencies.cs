namespace Cdp.Benchmarks;

/// Latency samples in milliseconds, with percentiles.
public sealed class Latencies
{
    private readonly List<double> _samples = [];

    public void Add(double milliseconds)
    {
        lock (_samples) _samples.Add(milliseconds);
    }

    public int Count
    {
        get { lock (_samples) return _samples.Count; }
    }

    public double Percentile(double p)
    {
        lock (_samples)
        {
            if (_samples.Count == 0) return double.NaN;
            var sorted = _samples.Order().ToArray();
            return sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
        }
    }
}

namespace Cdp.Benchmarks.Pipeline;

/// Per stage of the pipeline, from the sampler's figures over the measured window: the rate its queues were consumed,
/// whether they drained or grew, its subscriptions' lag, and a line naming the resource that limited it.
public sealed record StageReport(string Stage, double ConsumedPerSecond, long DepthAtStart, long DepthMax, long DepthAtEnd, long DepthAfterDrain,
    double GrowthPerSecond, long SubscriptionLagMax, long SubscriptionLagAfterDrain, bool KeptUp, string Bottleneck)
{
    /// A stage: the service doing the work, and the prefixes of its queues and Marten subscriptions.
    private sealed record Definition(string Stage, string? Process, string QueuePrefix, string? SubscriptionPrefix);

    private static readonly Definition[] Stages =
    [
        new("resolved", "IdentityResolution", "identity-", "identity: "),
        new("projected", "ProfileProjection", "profiles-", "profiles: "),
        new("audience-evaluated", "Activation", "activation-", "activation: "),
        new("delivered to the subscriber", null, "bench-", null),
    ];

    /// <paramref name="measured"/>: the samples of the measured window; <paramref name="afterDrain"/>: the last sample
    /// after the harness waited for the pipeline to finish. Processes: CPU in % of one core over the window.
    public static IReadOnlyList<StageReport> Build(IReadOnlyList<PipelineSampler.Sample> measured, PipelineSampler.Sample afterDrain,
        IReadOnlyList<ProcessUsage.Usage> processes, double targetRate)
    {
        var cores = Environment.ProcessorCount;
        var machine = measured.Count == 0 ? 0 : measured.Average(s => s.MachineCpuPercent);
        double Cpu(string? name) => processes.FirstOrDefault(p => p.Name == name)?.CpuPercentOfOneCore ?? 0;
        var reports = new List<StageReport>();
        foreach (var stage in Stages)
        {
            bool Mine(string queue) => queue.StartsWith(stage.QueuePrefix) && !queue.EndsWith("_error") && !queue.EndsWith("_skipped");
            long Depth(PipelineSampler.Sample s) => s.Depths.Where(q => Mine(q.Key)).Sum(q => q.Value);
            long Lag(PipelineSampler.Sample s) => stage.SubscriptionPrefix is null ? 0
                : s.SubscriptionLags.Where(l => l.Key.StartsWith(stage.SubscriptionPrefix)).Sum(l => l.Value);
            var depths = measured.Select(s => (s.At, Depth: (double)Depth(s))).ToList();
            long Delivered(PipelineSampler.Sample s) => s.Delivered.Where(q => Mine(q.Key)).Sum(q => q.Value);
            var consumed = measured.Count < 2 ? 0 : (Delivered(measured[^1]) - Delivered(measured[0])) / (measured[^1].At - measured[0].At);
            var growth = Slope(depths);
            var after = Depth(afterDrain);
            // Growth under 1 % of the offered rate is noise; a queue that grows faster, or is not empty after the drain, fell behind.
            var keptUp = growth <= Math.Max(5, targetRate / 100) && after == 0 && Lag(afterDrain) == 0;
            var process = Cpu(stage.Process);
            string bottleneck;
            if (stage.Process is null)
            {
                bottleneck = keptUp ? "none: the subscriber kept up" : "the subscriber (the harness) or RabbitMQ";
            }
            else if (machine >= 90 * cores)
            {
                var top = processes.OrderByDescending(p => p.CpuPercentOfOneCore).Take(3).Select(p => $"{p.Name} {p.CpuPercentOfOneCore:N0} %");
                bottleneck = $"the machine's CPU: {machine:N0} of {100 * cores} % busy (most: {string.Join(", ", top)}); {stage.Process} had {process:N0} %";
            }
            else if (process >= 90)
            {
                bottleneck = $"{stage.Process}'s own CPU ({process:N0} % of a core) while the machine had {100 * cores - machine:N0} % idle";
            }
            else if (keptUp)
            {
                bottleneck = $"none: kept up with its input ({stage.Process} {process:N0} % of a core, PostgreSQL {Cpu("PostgreSQL"):N0} %, RabbitMQ {Cpu("RabbitMQ"):N0} %)";
            }
            else
            {
                bottleneck = $"waiting, not CPU: {stage.Process} {process:N0} % of a core, machine {machine:N0} of {100 * cores} %; " +
                             "time goes to round trips to PostgreSQL and RabbitMQ (batch sizes, prefetch, locks)";
            }
            reports.Add(new StageReport(stage.Stage, Math.Round(consumed), (long)depths.FirstOrDefault().Depth, (long)depths.Select(d => d.Depth).DefaultIfEmpty().Max(),
                (long)depths.LastOrDefault().Depth, after, Math.Round(growth, 1), measured.Select(Lag).DefaultIfEmpty().Max(), Lag(afterDrain), keptUp, bottleneck));
        }
        return reports;
    }

    /// Least-squares slope of depth over time, in messages per second.
    private static double Slope(IReadOnlyList<(double At, double Depth)> points)
    {
        if (points.Count < 2) return 0;
        var meanT = points.Average(p => p.At);
        var meanD = points.Average(p => p.Depth);
        var covariance = points.Sum(p => (p.At - meanT) * (p.Depth - meanD));
        var variance = points.Sum(p => (p.At - meanT) * (p.At - meanT));
        return variance == 0 ? 0 : covariance / variance;
    }
}

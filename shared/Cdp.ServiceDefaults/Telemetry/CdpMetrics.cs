using System.Diagnostics.Metrics;

namespace Cdp.ServiceDefaults.Telemetry;

/// <summary>The platform's own metrics, exported with the rest.</summary>
public static class CdpMetrics
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "Cdp.Events";

    private static readonly Meter Meter = new(MeterName);

    // OpenTelemetry's default buckets (0, 5, 10 ... 10,000) suit milliseconds: in seconds every latency fell in the
    // first one (up to 5 s), and no percentile could be read from them.
    private static readonly InstrumentAdvice<double> Seconds = new()
    {
        HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2.5, 5, 10, 30],
    };

    /// <summary>Events accepted by the Collector.</summary>
    public static readonly Counter<long> EventsAccepted = Meter.CreateCounter<long>("cdp.events.accepted");

    /// <summary>Messages a consumer skipped because it had processed them before.</summary>
    public static readonly Counter<long> DuplicatesSkipped = Meter.CreateCounter<long>("cdp.messages.duplicates_skipped");

    /// <summary>Seconds from acceptance by the Collector to the stage that records it.</summary>
    public static readonly Histogram<double> EndToEndLatency = Meter.CreateHistogram("cdp.events.latency", unit: "s", advice: Seconds);

    /// <summary>Entries in each group a stage handled in one transaction (tag <c>entry</c>: what the stage records).</summary>
    public static readonly Histogram<long> GroupEntries = Meter.CreateHistogram<long>("cdp.group_commit.entries");

    /// <summary>Seconds a stage took to handle a group: with the entries, whether it waits on the database or for work.</summary>
    public static readonly Histogram<double> GroupDuration = Meter.CreateHistogram("cdp.group_commit.duration", unit: "s", advice: Seconds);

    /// <summary>Seconds a group's oldest message waited in the process for the group to start: above a group's own
    /// duration, the stage is saturated.</summary>
    public static readonly Histogram<double> GroupWait = Meter.CreateHistogram("cdp.group_commit.wait", unit: "s", advice: Seconds);
}

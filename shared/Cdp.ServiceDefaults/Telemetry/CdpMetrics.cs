using System.Diagnostics.Metrics;

namespace Cdp.ServiceDefaults.Telemetry;

/// <summary>The platform's own metrics, exported with the rest.</summary>
public static class CdpMetrics
{
    /// <summary>The meter name.</summary>
    public const string MeterName = "Cdp.Events";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Events accepted by the Collector.</summary>
    public static readonly Counter<long> EventsAccepted = Meter.CreateCounter<long>("cdp.events.accepted");

    /// <summary>Messages a consumer skipped because it had processed them before.</summary>
    public static readonly Counter<long> DuplicatesSkipped = Meter.CreateCounter<long>("cdp.messages.duplicates_skipped");

    /// <summary>Seconds from acceptance by the Collector to the stage that records it.</summary>
    public static readonly Histogram<double> EndToEndLatency = Meter.CreateHistogram<double>("cdp.events.latency", unit: "s");

    /// <summary>Entries in each group a stage handled in one transaction (tag <c>entry</c>: what the stage records).</summary>
    public static readonly Histogram<long> GroupEntries = Meter.CreateHistogram<long>("cdp.group_commit.entries");

    /// <summary>Seconds a stage took to handle a group: with the entries, whether it waits on the database or for work.</summary>
    public static readonly Histogram<double> GroupDuration = Meter.CreateHistogram<double>("cdp.group_commit.duration", unit: "s");

    /// <summary>Seconds a group's oldest message waited in the process for the group to start: above a group's own
    /// duration, the stage is saturated.</summary>
    public static readonly Histogram<double> GroupWait = Meter.CreateHistogram<double>("cdp.group_commit.wait", unit: "s");
}

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
}

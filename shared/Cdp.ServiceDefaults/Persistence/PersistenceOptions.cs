namespace Cdp.ServiceDefaults.Persistence;

/// <summary>Settings under <c>Cdp:Persistence</c>.</summary>
public sealed class PersistenceOptions
{
    /// <summary>How long processed-message markers are kept; redeliveries older than this are not recognised. At least 7 days.</summary>
    public TimeSpan ProcessedMessageRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// How long a subscription waits at a sequence gap before skipping it. A rolled-back append (a lost race) leaves a
    /// gap that never fills; Marten's default of 3 s held every publisher that long (p95 of accepted → audience change
    /// 2.5 s at 300 events/s). Marten still never skips a gap while a transaction that could fill it is alive.
    /// </summary>
    public TimeSpan StaleSequenceThreshold { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Solo for one instance of the service, HotCold when several run (one of them runs the subscriptions).</summary>
    public JasperFx.Events.Daemon.DaemonMode DaemonMode { get; set; } = JasperFx.Events.Daemon.DaemonMode.Solo;
}

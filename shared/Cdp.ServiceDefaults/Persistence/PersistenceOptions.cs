namespace Cdp.ServiceDefaults.Persistence;

/// <summary>Settings under <c>Cdp:Persistence</c>.</summary>
public sealed class PersistenceOptions
{
    /// <summary>How long processed-message markers are kept; redeliveries older than this are not recognised. At least 7 days.</summary>
    public TimeSpan ProcessedMessageRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Solo for one instance of the service, HotCold when several run (one of them runs the subscriptions).</summary>
    public JasperFx.Events.Daemon.DaemonMode DaemonMode { get; set; } = JasperFx.Events.Daemon.DaemonMode.Solo;
}

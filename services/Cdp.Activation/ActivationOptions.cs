namespace Cdp.Activation;

/// Settings under Cdp:Activation.
public sealed class ActivationOptions
{
    /// How often audiences that depend on time (windows, dates, last seen) are re-evaluated for everyone.
    public TimeSpan ReevaluateEvery { get; set; } = TimeSpan.FromMinutes(1);

    /// Profiles per transaction in backfills and clock sweeps.
    public int SweepPageSize { get; set; } = 500;

    /// How long after an audience changes its backfill starts, so batches already evaluating with the old rule finish first.
    public TimeSpan BackfillSettle { get; set; } = TimeSpan.FromSeconds(1);

    public WebhookOptions Webhooks { get; set; } = new();
}

public sealed class WebhookOptions
{
    /// Attempts per delivery before it goes to the dead-letter store.
    public int MaxAttempts { get; set; } = 6;
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(1);
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// How long a destination's circuit stays open after it failed half its recent deliveries.
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// Webhooks may target loopback, private and link-local addresses only when this is true or the host is listed in AllowedHosts.
    public bool AllowPrivateNetworks { get; set; }
    public List<string> AllowedHosts { get; set; } = [];
}

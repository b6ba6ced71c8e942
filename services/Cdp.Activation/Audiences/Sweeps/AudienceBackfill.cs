namespace Cdp.Activation.Audiences.Sweeps;

/// Progress of evaluating every known profile against one version of an audience (id = audience key).
/// After is the last profile id done, so a restarted service resumes where it stopped.
public sealed class AudienceBackfill
{
    public string Id { get; set; } = "";
    public long AudienceVersion { get; set; }
    public string Status { get; set; } = BackfillStatus.Pending;
    public long Processed { get; set; }
    public long Total { get; set; }
    public long Changes { get; set; }
    public string? After { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
}

public static class BackfillStatus
{
    public const string Pending = "pending";
    public const string Running = "running";
    public const string Completed = "completed";
}

namespace Cdp.ServiceDefaults.Health;

/// <summary>Health check tags.</summary>
public static class HealthTags
{
    /// <summary>Checks that must pass before a service takes traffic (MassTransit tags its bus check the same).</summary>
    public const string Ready = "ready";
}

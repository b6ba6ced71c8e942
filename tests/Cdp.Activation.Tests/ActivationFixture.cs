using Cdp.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Cdp.Activation.Tests;

/// Activation on its own database and vhost, with short sweep and webhook timings, a clock tests can move,
/// and webhooks allowed to reach this machine's test listener (localhost).
public class ActivationFixture : ServiceFixture<Program>
{
    public ActivationFixture() : this(new ShiftableClock())
    {
    }

    private ActivationFixture(ShiftableClock clock) : base("activation", settings: Settings, services: s => s.AddSingleton<TimeProvider>(clock))
    {
        Clock = clock;
    }

    /// Each test class gets its own fixture, so moving this clock affects that class only.
    public ShiftableClock Clock { get; }

    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Cdp:Activation:ReevaluateEvery"] = "00:00:01",
        ["Cdp:Activation:BackfillSettle"] = "00:00:00.200",
        ["Cdp:Activation:SweepPageSize"] = "7",
        ["Cdp:Activation:Webhooks:MaxAttempts"] = "5",
        ["Cdp:Activation:Webhooks:FirstRetryDelay"] = "00:00:00.100",
        ["Cdp:Activation:Webhooks:MaxRetryDelay"] = "00:00:00.400",
        ["Cdp:Activation:Webhooks:BreakDuration"] = "00:00:00.500",
        ["Cdp:Activation:Webhooks:AllowedHosts:0"] = "localhost",
    };

    public HttpClient Admin => BearerClient("dev-admin-token");
}

using MassTransit;

namespace Cdp.ServiceDefaults.Telemetry;

/// <summary>The trace a consumed message belongs to, for storing with what the consumer appends.</summary>
public static class MessageTrace
{
    /// <summary>
    /// The W3C trace context of the activity that published the message, which MassTransit sends in its
    /// <c>MT-Activity-Id</c> header; null when the publisher traced nothing.
    /// </summary>
    public static string? TraceParent(this ConsumeContext context) => context.Headers.Get<string>("MT-Activity-Id");
}

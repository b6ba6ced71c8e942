using System.Diagnostics;
using Marten;

namespace Cdp.ServiceDefaults.Persistence;

/// <summary>Carries the current trace across the event store so one trace follows an event through every hop.</summary>
public static class EventTrace
{
    /// <summary>The event header holding the W3C traceparent.</summary>
    public const string HeaderName = "traceparent";

    /// <summary>Stamps the events appended in this session with the current trace context.</summary>
    public static void StampTrace(this IDocumentSession session)
    {
        if (Activity.Current?.Id is { } id)
        {
            session.SetHeader(HeaderName, id);
        }
    }
}

using System.Diagnostics;
using JasperFx.Events;
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

    /// <summary>Stores each appended event's trace context (where one was known) in its header, event by event.</summary>
    public static void TraceEach(this StreamAction action, IReadOnlyList<string?> traces)
    {
        for (var i = 0; i < traces.Count; i++)
        {
            if (traces[i] is { } trace) action.Events[i].SetHeader(HeaderName, trace);
        }
    }
}

namespace Cdp.Collector.Ingestion;

/// Segment's correction for a client clock that is off: the gap the client measured between the
/// event and sending it is kept, anchored at the server's receive time.
public static class ClockSkew
{
    public static DateTimeOffset Correct(DateTimeOffset? timestamp, DateTimeOffset? sentAt, DateTimeOffset receivedAt) =>
        (timestamp, sentAt) switch
        {
            ({ } t, { } s) => receivedAt - (s - t),
            ({ } t, null) => t,
            (null, _) => receivedAt,
        };
}

using Cdp.Collector.Ingestion;

namespace Cdp.Collector.Tests.Ingestion;

public class ClockSkewTests
{
    private static readonly DateTimeOffset ReceivedAt = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Given_sentAt_when_correcting_then_the_client_gap_is_anchored_at_receivedAt()
    {
        // The client clock is 1 hour fast; the event happened 5 s before it was sent.
        var timestamp = ReceivedAt.AddHours(1).AddSeconds(-5);
        var sentAt = ReceivedAt.AddHours(1);

        Assert.Equal(ReceivedAt.AddSeconds(-5), ClockSkew.Correct(timestamp, sentAt, ReceivedAt));
    }

    [Fact]
    public void Given_no_sentAt_when_correcting_then_the_timestamp_is_kept() =>
        Assert.Equal(ReceivedAt.AddDays(-1), ClockSkew.Correct(ReceivedAt.AddDays(-1), null, ReceivedAt));

    [Fact]
    public void Given_no_timestamp_when_correcting_then_receivedAt_is_used() =>
        Assert.Equal(ReceivedAt, ClockSkew.Correct(null, ReceivedAt.AddMinutes(3), ReceivedAt));
}

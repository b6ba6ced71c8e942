using System.Collections.Concurrent;
using System.Threading.RateLimiting;

namespace Cdp.Collector.Sources;

/// Per-source event rate limits, off unless a source sets one: a token bucket per source holding one
/// second's worth of events, so a request never carries more than that.
public sealed class SourceRateLimits
{
    private readonly ConcurrentDictionary<string, (int PerSecond, TokenBucketRateLimiter Limiter)> _limiters = new();

    /// Null when the events may pass; otherwise how long to wait.
    public TimeSpan? TryAcquire(Source source, int events)
    {
        if (source.EventsPerSecond is not { } perSecond || perSecond <= 0) return null;
        var (_, limiter) = _limiters.AddOrUpdate(source.Id,
            _ => (perSecond, Create(perSecond)),
            (_, existing) =>
            {
                if (existing.PerSecond == perSecond) return existing;
                existing.Limiter.Dispose();
                return (perSecond, Create(perSecond));
            });
        if (events > perSecond) return TimeSpan.FromSeconds(1);
        using var lease = limiter.AttemptAcquire(events);
        if (lease.IsAcquired) return null;
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
    }

    private static TokenBucketRateLimiter Create(int perSecond) => new(new TokenBucketRateLimiterOptions
    {
        TokenLimit = perSecond,
        TokensPerPeriod = perSecond,
        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    });
}

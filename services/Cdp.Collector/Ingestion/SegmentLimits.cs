namespace Cdp.Collector.Ingestion;

// Segment's documented limits for the Tracking API.
public static class SegmentLimits
{
    public const int MaxEventBytes = 32 * 1024;
    public const int MaxRequestBytes = 500 * 1024;
    public const int MaxBatchEvents = 2500;
    public const int MaxMessageIdLength = 100;
}

namespace Cdp.Collector.Ingestion;

/// One reason an event was refused: which event of a batch (null for a single call), which field, why.
public sealed record FieldError(int? Index, string Field, string Reason);

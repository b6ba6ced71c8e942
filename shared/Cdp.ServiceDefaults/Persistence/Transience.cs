using Npgsql;

namespace Cdp.ServiceDefaults.Persistence;

/// <summary>Which failures running again may cure, and which a message will meet every time.</summary>
public static class Transience
{
    /// <summary>
    /// True for a database that is away or busy (connection failures, shutdown, too many connections,
    /// deadlocks, lock timeouts), timeouts and lost optimistic-concurrency races; false for data errors
    /// (such as a string PostgreSQL cannot store) and bugs, which no retry mends.
    /// </summary>
    public static bool IsTransient(Exception e) => e switch
    {
        _ when LostRace.Is(e) => true,
        TimeoutException or OperationCanceledException => true,
        PostgresException p => p.IsTransient || p.SqlState[..2] is "08" or "40" or "53" or "55" or "57" or "58",
        NpgsqlException => true,
        AggregateException a => a.InnerExceptions.All(IsTransient),
        // Wrappers (MartenCommandException, SessionTransactionUnusableException after a database restart cut the
        // connection mid-transaction, ...) are as transient as their cause; a wrapped data error stays a data error.
        { InnerException: { } inner } => IsTransient(inner),
        _ => false,
    };
}

using Cdp.ServiceDefaults.Persistence;
using Marten.Exceptions;
using Npgsql;

namespace Cdp.Activation.Tests.Persistence;

/// Which failures a consumer retries (the batch stays unacknowledged and runs again) and which go to the
/// one-by-one isolation and the error queue: a database restart must be the first kind, however Marten wraps it.
public sealed class TransienceTests
{
    // Marten raises it (its constructor is not public) when a session's connection broke mid-transaction.
    private static SessionTransactionUnusableException Unusable(Exception inner) =>
        (SessionTransactionUnusableException)Activator.CreateInstance(typeof(SessionTransactionUnusableException),
            System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance, null, ["connection broken", inner], null)!;

    private static PostgresException Postgres(string sqlState) => new("message", "FATAL", "FATAL", sqlState);

    [Fact]
    public void Given_a_session_whose_connection_a_database_restart_cut_then_it_is_transient() =>
        Assert.True(Transience.IsTransient(Unusable(Postgres("57P01"))));

    [Fact]
    public void Given_a_wrapped_data_error_then_it_is_not_transient() =>
        Assert.False(Transience.IsTransient(Unusable(Postgres("22P05"))));

    [Fact]
    public void Given_a_bug_then_it_is_not_transient() =>
        Assert.False(Transience.IsTransient(new InvalidOperationException("bug")));

    [Fact]
    public void Given_a_database_that_is_away_then_it_is_transient() =>
        Assert.True(Transience.IsTransient(new InvalidOperationException("outer", new NpgsqlException("connection refused"))));
}

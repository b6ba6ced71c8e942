using Cdp.ServiceDefaults.Persistence;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Cdp.ProfileProjection.Tests.Persistence;

public class StatementFailureLoggerTests
{
    private static NpgsqlBatch BatchCarrying(string value) => new()
    {
        BatchCommands =
        {
            new NpgsqlBatchCommand("select profiles.mt_quick_append_events($1)") { Parameters = { new NpgsqlParameter { Value = value } } },
            new NpgsqlBatchCommand("insert into profiles.mt_doc_customerprofile (data) values ($1)") { Parameters = { new NpgsqlParameter { Value = value } } },
        },
    };

    [Theory]
    [InlineData("23505")] // a unique key taken first
    [InlineData("MT003")] // Marten's append function found the stream at another version
    public void Given_a_batch_that_lost_a_race_when_logged_then_one_warning_names_it_without_the_values(string sqlState)
    {
        var log = new Entries();
        new StatementFailureLogger(log).LogFailure(BatchCarrying("ann@example.com"), new PostgresException("lost", "ERROR", "ERROR", sqlState));

        var entry = Assert.Single(log.Written);
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Contains("Lost a race", entry.Text);
        Assert.Contains("2 statement(s) rolled back", entry.Text);
        Assert.DoesNotContain("ann@example.com", entry.Text);
    }

    [Fact]
    public void Given_a_batch_that_failed_otherwise_when_logged_then_one_error_names_the_statement_without_the_values()
    {
        var log = new Entries();
        new StatementFailureLogger(log).LogFailure(BatchCarrying("ann@example.com"), new InvalidOperationException("connection lost"));

        var entry = Assert.Single(log.Written);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Contains("mt_quick_append_events", entry.Text);
        Assert.DoesNotContain("ann@example.com", entry.Text);
    }

    [Fact]
    public void Given_a_failed_batch_when_Marten_reports_it_again_after_the_rollback_then_it_is_written_once()
    {
        var log = new Entries();
        var logger = new StatementFailureLogger(log);
        var failure = new PostgresException("refused", "ERROR", "ERROR", "22P05");

        logger.LogFailure(BatchCarrying("ann@example.com"), failure);
        logger.LogFailure(new NpgsqlCommand(), failure);

        Assert.Contains("mt_quick_append_events", Assert.Single(log.Written).Text);
    }

    private sealed class Entries : ILogger
    {
        public List<(LogLevel Level, string Text)> Written { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Written.Add((logLevel, formatter(state, exception)));
    }
}

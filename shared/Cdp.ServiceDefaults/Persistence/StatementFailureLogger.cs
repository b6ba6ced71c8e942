using Marten;
using Marten.Services;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Cdp.ServiceDefaults.Persistence;

/// <summary>
/// Marten's own logger writes an error per statement of a failed batch with every parameter's value: for one lost race
/// (retried, so no error at all) that was a few hundred entries carrying customers' traits and e-mail addresses. This
/// writes one entry per failure, with the failing statement's text and no values: a warning when it is a lost race
/// the caller runs again, an error otherwise. SQL of successful commands is written at Debug level, without values.
/// </summary>
/// <remarks>
/// It is also the one hook Marten calls while a failed batch still holds its connection, so it keeps that connection
/// from being reused after PostgreSQL refused a value (a data error, as opposed to a lost race or a database away).
/// Npgsql (10.0.3, reproduced in RefusedValueTests) marks an auto-prepared statement prepared once PostgreSQL has
/// parsed it; when the value is then refused while binding (U+0000 in jsonb), the statement keeps no description of
/// its result. Its next run on that connection reads the result's rows as an "unexpected backend message DataRow" and
/// breaks the connection, failing a good message with it; a statement that returned no row would be skipped and
/// the next statement's result handed to its reader. Clearing the pool closes the connection when Marten returns it
/// (and the idle ones now): a reconnect per refused value, which is rare (a poison message), never per lost race.
/// </remarks>
public sealed class StatementFailureLogger(ILogger logger, NpgsqlDataSource? dataSource = null) : IMartenLogger, IMartenSessionLogger
{
    /// <inheritdoc />
    public IMartenSessionLogger StartSession(IQuerySession session) => this;

    /// <inheritdoc />
    public void SchemaChange(string sql) => logger.LogInformation("Schema change applied:\n{Sql}", sql);

    /// <inheritdoc />
    public void LogFailure(NpgsqlCommand command, Exception ex)
    {
        // Marten reports a failed batch again, with an empty command, once it has rolled the batch back.
        if (string.IsNullOrEmpty(command.CommandText)) return;
        Failed(1, command.CommandText, ex);
    }

    /// <inheritdoc />
    public void LogFailure(NpgsqlBatch batch, Exception ex) =>
        Failed(batch.BatchCommands.Count, FailedStatement(batch, ex), ex);

    /// <inheritdoc />
    public void LogFailure(Exception ex, string message) => logger.LogError(ex, "{Message}", message);

    /// <inheritdoc />
    public void LogSuccess(NpgsqlCommand command) => logger.LogDebug("{Sql}", command.CommandText);

    /// <inheritdoc />
    public void LogSuccess(NpgsqlBatch batch)
    {
        if (!logger.IsEnabled(LogLevel.Debug)) return;
        foreach (var statement in batch.BatchCommands) logger.LogDebug("{Sql}", statement.CommandText);
    }

    /// <inheritdoc />
    public void RecordSavedChanges(IDocumentSession session, IChangeSet commit)
    {
    }

    /// <inheritdoc />
    public void OnBeforeExecute(NpgsqlCommand command)
    {
    }

    /// <inheritdoc />
    public void OnBeforeExecute(NpgsqlBatch batch)
    {
    }

    private void Failed(int statements, string failing, Exception ex)
    {
        if (LostRace.Is(ex))
        {
            logger.LogWarning("Lost a race with another writer; {Statements} statement(s) rolled back, to run again on fresh state. {Reason} ({Sql})",
                statements, ex.Message, failing);
        }
        else
        {
            logger.LogError(ex, "{Statements} statement(s) rolled back; failing statement: {Sql}", statements, failing);
            if (ex is PostgresException && !Transience.IsTransient(ex)) dataSource?.Clear();
        }
    }

    // Npgsql names the failing statement of a batch on the exception; Marten's own checks (a version mismatch found
    // in a result) do not, so the batch's first statement stands in.
    private static string FailedStatement(NpgsqlBatch batch, Exception ex) =>
        (ex as PostgresException)?.BatchCommand?.CommandText ?? (batch.BatchCommands.Count > 0 ? batch.BatchCommands[0].CommandText : "");
}

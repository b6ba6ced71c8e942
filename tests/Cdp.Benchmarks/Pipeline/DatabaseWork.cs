using Npgsql;

namespace Cdp.Benchmarks.Pipeline;

/// What PostgreSQL did for a run, from its cumulative statistics (pg_stat_database, pg_stat_user_tables) read at the
/// start and the end of the measured window: transactions committed and rows written per event, and the tables written
/// most. PostgreSQL is the largest consumer of CPU once the pipeline saturates, and these say where its work comes from.
/// WAL, checkpoints and autovacuum runs are counted for the whole server (nothing else runs beside a benchmark): a
/// checkpoint or an autovacuum of a large table inside the window is work two runs of the same code do not share.
public sealed class DatabaseWork
{
    public sealed record Table(string Name, double RowsWrittenPerEvent);

    public sealed record Figures(double CommitsPerEvent, double RowsWrittenPerEvent, double RowsReadPerEvent, IReadOnlyList<Table> BusiestTables,
        double WalBytesPerEvent, long Checkpoints, long AutovacuumRuns);

    private sealed record Snapshot(long Commits, long Written, long Read, Dictionary<string, long> Tables, long WalBytes, long Checkpoints,
        long AutovacuumRuns);

    private readonly NpgsqlDataSource _db;
    private Snapshot? _start;

    public DatabaseWork(string postgres) => _db = NpgsqlDataSource.Create(postgres);

    public async Task StartAsync(CancellationToken ct) => _start = await SnapshotAsync(ct);

    public async Task<Figures> StopAsync(long events, CancellationToken ct)
    {
        var end = await SnapshotAsync(ct);
        var start = _start ?? throw new InvalidOperationException("StartAsync was not called.");
        double PerEvent(long n) => events == 0 ? 0 : Math.Round((double)n / events, 2);
        var tables = end.Tables
            .Select(t => new Table(t.Key, PerEvent(t.Value - start.Tables.GetValueOrDefault(t.Key))))
            .OrderByDescending(t => t.RowsWrittenPerEvent).Take(6).ToList();
        await _db.DisposeAsync();
        return new Figures(PerEvent(end.Commits - start.Commits), PerEvent(end.Written - start.Written), PerEvent(end.Read - start.Read), tables,
            PerEvent(end.WalBytes - start.WalBytes), end.Checkpoints - start.Checkpoints,
            end.AutovacuumRuns - start.AutovacuumRuns);
    }

    private async Task<Snapshot> SnapshotAsync(CancellationToken ct)
    {
        // The statistics are flushed by each backend now and then; ask for the freshest view this session can have.
        await using (var clear = _db.CreateCommand("select pg_stat_clear_snapshot()")) await clear.ExecuteNonQueryAsync(ct);
        long commits, written, read, wal, checkpoints, autovacuums;
        await using (var database = _db.CreateCommand(
            "select xact_commit, tup_inserted + tup_updated + tup_deleted, tup_fetched, " +
            "pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint, " +
            "(select checkpoints_timed + checkpoints_req from pg_stat_bgwriter), " +
            "(select coalesce(sum(autovacuum_count + autoanalyze_count), 0)::bigint from pg_stat_user_tables) " +
            "from pg_stat_database where datname = current_database()"))
        await using (var reader = await database.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            (commits, written, read) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
            (wal, checkpoints, autovacuums) = (reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5));
        }
        var tables = new Dictionary<string, long>();
        await using (var perTable = _db.CreateCommand(
            "select schemaname || '.' || relname, n_tup_ins + n_tup_upd + n_tup_del from pg_stat_user_tables"))
        await using (var reader = await perTable.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) tables[reader.GetString(0)] = reader.GetInt64(1);
        }
        return new Snapshot(commits, written, read, tables, wal, checkpoints, autovacuums);
    }
}

namespace Cdp.Ops;

/// What scripts can rely on; the same for every command and listed in `cdp-ops --help`.
public static class ExitCodes
{
    public const int Ok = 0;

    /// The command ran and something is wrong: a service not ready, rows rejected, a rebuild failed.
    public const int Failed = 1;

    /// The command line or an input file is wrong; the message says which option or row.
    public const int Usage = 2;

    /// PostgreSQL, RabbitMQ or a service could not be reached.
    public const int Unreachable = 3;

    /// Interrupted (Ctrl+C); a resumable command saved its checkpoint.
    public const int Interrupted = 130;

    public const string Help = "Exit codes: 0 done, 1 done but something is wrong (see output), 2 bad command line or input, " +
                               "3 PostgreSQL/RabbitMQ/a service unreachable, 130 interrupted (checkpoint saved).";
}

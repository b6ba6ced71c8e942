using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Cdp.Testing;

/// <summary>
/// Starts each service as `./cdp up` does: in a session of its own (setsid), whose share of a busy CPU is lowered to nice
/// <see cref="AutogroupNice"/>. Linux shares a busy CPU between sessions first (autogroups); started plainly, the four
/// services and the process that starts them were one session, one share against each PostgreSQL backend's and
/// RabbitMQ's own. Out of the terminal's session they no longer get its Ctrl+C, so they are killed when this process
/// gets a signal that ends it, or exits without stopping them.
/// </summary>
public static class ServiceProcesses
{
    private const string SetSid = "/usr/bin/setsid";

    /// <summary>
    /// Every stage waits on PostgreSQL, whose backends each have a session's share: services at four full shares slowed
    /// the profile writer, which sets the pipeline's ceiling (docs/performance.md, twentieth round). The same in `./cdp`.
    /// </summary>
    public const int AutogroupNice = 5;

    // A shell in the new session lowers its own session's share, then becomes the service (same pid throughout).
    private static readonly string InSession = $"echo {AutogroupNice} > /proc/self/autogroup 2>/dev/null; exec dotnet \"$0\"";

    private static readonly ConcurrentDictionary<Process, byte> Running = new();

    // Held so that they stay registered; each handler runs before the signal's own handling goes on.
    private static readonly PosixSignalRegistration[] KillOnSignals = [.. new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGQUIT }
        .Select(signal => PosixSignalRegistration.Create(signal, _ => KillAll()))];

    static ServiceProcesses() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();

    public static Process Start(string dll, Action<ProcessStartInfo> configure)
    {
        var info = File.Exists(SetSid) ? new ProcessStartInfo(SetSid) { ArgumentList = { "sh", "-c", InSession, dll } } : new ProcessStartInfo("dotnet") { ArgumentList = { dll } };
        configure(info);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {dll}");
        // Each process leaves the set when it exits, however it was stopped (its platform, a test killing it, a crash).
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => Running.TryRemove(process, out _);
        Running[process] = 0;
        if (process.HasExited) Running.TryRemove(process, out _);
        return process;
    }

    private static void KillAll()
    {
        foreach (var process in Running.Keys)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
            {
                // Exited (or disposed) since it was listed.
            }
        }
    }
}

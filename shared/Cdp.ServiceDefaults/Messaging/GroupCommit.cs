using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Cdp.ServiceDefaults.Messaging;

/// <summary>
/// Handles the entries of messages consumed at the same time together: while one group is being handled, the
/// entries that arrive wait, and the next group takes all of them (up to <c>maxEntries</c>). An idle stage handles
/// each message at once; a busy one handles large groups, so its cost per entry falls as its load rises.
/// </summary>
/// <remarks>
/// MassTransit's <c>Batch&lt;T&gt;</c> closes a batch on a timer instead: a stage under load kept handling batches of
/// the size that fitted in the time limit (2-3 messages while 2,800 waited in the queue, measured), and an idle
/// stage waited out the time limit on every message.
/// A group that fails for a reason no retry mends is handled again submission by submission, so one bad message
/// fails only its own <see cref="SubmitAsync"/>; a transient failure (<see cref="Persistence.Transience"/>) fails
/// every submission of the group, for each message's retry to submit it again.
/// </remarks>
public sealed class GroupCommit<TEntry> : IDisposable
{
    private readonly Func<IReadOnlyList<TEntry>, CancellationToken, Task> _handle;
    private readonly int _maxEntries;
    private readonly ILogger _logger;
    private readonly Maintenance.MaintenancePause? _pause;
    private readonly TimeSpan _pace;
    private readonly Channel<Submission> _waiting = Channel.CreateUnbounded<Submission>(new UnboundedChannelOptions { SingleWriter = false });
    private Submission? _carried;
    private readonly SemaphoreSlim _taking = new(1, 1);

    /// <param name="handle">Handles one group's entries in one go (one transaction).</param>
    /// <param name="maxEntries">Most entries in a group; a single submission larger than this is still one group.</param>
    /// <param name="concurrency">Groups handled at once.</param>
    /// <param name="logger">Logs each group's size and time (Debug) and a group that fails for one of its messages.</param>
    /// <param name="pause">Held while an operator pauses the service's writers: groups wait (their messages stay
    /// unacknowledged) and are handled in their queue's order after the resume.</param>
    /// <param name="pace">The least time from the start of one group to the start of the next a task handles, unless
    /// the group was full: for a stage of few entries whose every group holds a writer that a busier stage waits for.</param>
    public GroupCommit(Func<IReadOnlyList<TEntry>, CancellationToken, Task> handle, int maxEntries, int concurrency, ILogger logger,
        Maintenance.MaintenancePause? pause = null, TimeSpan pace = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntries, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        _handle = handle;
        _maxEntries = maxEntries;
        _logger = logger;
        _pause = pause;
        _pace = pace;
        for (var i = 0; i < concurrency; i++) _ = Task.Run(HandleGroupsAsync);
    }

    /// <summary>
    /// Completes when a group holding <paramref name="entries"/> has been handled; throws what handling them threw.
    /// A group handles its submissions by <paramref name="order"/> (the message's place in its queue,
    /// <see cref="MessageOrder.DeliveryOrder"/>): messages consumed at once reach this call in any order.
    /// </summary>
    public Task SubmitAsync(IReadOnlyList<TEntry> entries, CancellationToken ct, ulong order = 0)
    {
        var submission = new Submission(entries, ct, order);
        if (!_waiting.Writer.TryWrite(submission)) throw new InvalidOperationException("The group commit no longer takes entries.");
        // A consumer that stops (shutdown) stops waiting at once; its message goes back to the queue. Should its group
        // be handled after all, the redelivery changes nothing: every stage is idempotent (markers, versions).
        return submission.Done.Task.WaitAsync(ct);
    }

    /// <summary>Takes no more submissions; the ones waiting are still handled, then the group commit's tasks end.</summary>
    public void Dispose() => _waiting.Writer.TryComplete();

    private sealed record Submission(IReadOnlyList<TEntry> Entries, CancellationToken Ct, ulong Order)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long Submitted { get; } = Stopwatch.GetTimestamp();
    }

    private static readonly KeyValuePair<string, object?> EntryTag = new("entry", typeof(TEntry).Name);

    private async Task HandleGroupsAsync()
    {
        while (true)
        {
            // While paused, submissions gather in the channel, to be taken (in order) after the resume.
            if (_pause is not null) await _pause.WaitWhileHeldAsync(CancellationToken.None);
            List<Submission> group;
            try
            {
                group = await NextGroupAsync();
            }
            catch (ChannelClosedException)
            {
                return;
            }
            using var inside = _pause is null ? null : await _pause.EnterAsync(CancellationToken.None);
            var started = Stopwatch.GetTimestamp();
            var entries = group.Count == 1 ? group[0].Entries : [.. group.SelectMany(s => s.Entries)];
            Telemetry.CdpMetrics.GroupWait.Record(Stopwatch.GetElapsedTime(group.Min(s => s.Submitted), started).TotalSeconds, EntryTag);
            try
            {
                await _handle(entries, CancellationToken.None);
                foreach (var s in group) s.Done.TrySetResult();
                // Group sizes and times show whether a stage is starved, saturated or waiting on the database.
                var elapsed = Stopwatch.GetElapsedTime(started);
                Telemetry.CdpMetrics.GroupEntries.Record(entries.Count, EntryTag);
                Telemetry.CdpMetrics.GroupDuration.Record(elapsed.TotalSeconds, EntryTag);
                _logger.LogDebug("{Entry} group of {Count} from {Messages} message(s) in {Elapsed:N1} ms", typeof(TEntry).Name, entries.Count,
                    group.Count, elapsed.TotalMilliseconds);
            }
            catch (Exception e) when (group.Count > 1 && !Persistence.Transience.IsTransient(e))
            {
                _logger.LogWarning(e, "A group of {Count} {Entry} from {Messages} messages failed; handling each message's entries on their own",
                    entries.Count, typeof(TEntry).Name, group.Count);
                foreach (var s in group) await HandleAloneAsync(s);
            }
            catch (Exception e)
            {
                foreach (var s in group) s.Done.TrySetException(e);
            }
            // A full group means a backlog: the next is taken at once, so that the pace never limits throughput.
            if (entries.Count < _maxEntries && _pace - Stopwatch.GetElapsedTime(started) is { Ticks: > 0 } rest) await Task.Delay(rest);
        }
    }

    private async Task HandleAloneAsync(Submission s)
    {
        try
        {
            await _handle(s.Entries, CancellationToken.None);
            s.Done.TrySetResult();
        }
        catch (Exception e)
        {
            s.Done.TrySetException(e);
        }
    }

    /// Waits for a submission, then takes every one that is waiting, up to the entry limit. Submissions whose
    /// message was cancelled (its consumer stopped) are left out: MassTransit returns those messages to the queue.
    private async Task<List<Submission>> NextGroupAsync()
    {
        await _taking.WaitAsync();
        try
        {
            var group = new List<Submission>();
            var count = 0;
            while (true)
            {
                Submission? next = _carried;
                _carried = null;
                if (next is null && !_waiting.Reader.TryRead(out next))
                {
                    if (group.Count > 0) return [.. group.OrderBy(s => s.Order)];
                    next = await _waiting.Reader.ReadAsync();
                }
                if (next.Ct.IsCancellationRequested)
                {
                    next.Done.TrySetCanceled(next.Ct);
                    continue;
                }
                if (group.Count > 0 && count + next.Entries.Count > _maxEntries)
                {
                    _carried = next;
                    return [.. group.OrderBy(s => s.Order)];
                }
                group.Add(next);
                count += next.Entries.Count;
            }
        }
        finally
        {
            _taking.Release();
        }
    }
}

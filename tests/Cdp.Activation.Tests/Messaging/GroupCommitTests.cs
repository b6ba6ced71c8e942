using Cdp.ServiceDefaults.Maintenance;
using Cdp.ServiceDefaults.Messaging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cdp.Activation.Tests.Messaging;

/// How GroupCommit groups the entries of messages consumed at once, and whose submission a failure fails.
public sealed class GroupCommitTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    /// A handler that records each group and holds the first one until released, so that later submissions queue behind it.
    private sealed class HeldHandler
    {
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource FirstStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public List<int[]> Groups { get; } = [];
        public Func<IReadOnlyList<int>, Exception?> Fail { get; init; } = _ => null;

        public async Task HandleAsync(IReadOnlyList<int> entries, CancellationToken ct)
        {
            lock (Groups) Groups.Add([.. entries]);
            if (FirstStarted.TrySetResult()) await Release.Task;
            if (Fail(entries) is { } e) throw e;
        }
    }

    /// A group commit whose first group ([0]) is being handled and held, so that what is submitted next waits.
    private static async Task<(GroupCommit<int> Commit, Task First)> HoldingFirstGroupAsync(HeldHandler handler, int maxEntries = 100)
    {
        var commit = new GroupCommit<int>(handler.HandleAsync, maxEntries, concurrency: 1, NullLogger.Instance);
        var first = commit.SubmitAsync([0], CancellationToken.None);
        await handler.FirstStarted.Task.WaitAsync(Wait);
        return (commit, first);
    }

    [Fact]
    public async Task Given_an_idle_group_commit_then_a_submission_is_handled_at_once_alone()
    {
        var handler = new HeldHandler();
        handler.Release.SetResult();
        var commit = new GroupCommit<int>(handler.HandleAsync, maxEntries: 100, concurrency: 1, NullLogger.Instance);

        await commit.SubmitAsync([1, 2], CancellationToken.None).WaitAsync(Wait);

        Assert.Equal([[1, 2]], handler.Groups);
    }

    [Fact]
    public async Task Given_submissions_that_arrive_while_a_group_is_handled_then_the_next_group_takes_them_together_up_to_the_limit()
    {
        var handler = new HeldHandler();
        var (commit, first) = await HoldingFirstGroupAsync(handler, maxEntries: 5);

        var waiting = new[] { commit.SubmitAsync([1, 2], CancellationToken.None), commit.SubmitAsync([3, 4], CancellationToken.None),
            commit.SubmitAsync([5, 6], CancellationToken.None) };
        handler.Release.SetResult();
        await Task.WhenAll([first, .. waiting]).WaitAsync(Wait);

        Assert.Equal([[0], [1, 2, 3, 4], [5, 6]], handler.Groups);
    }

    [Fact]
    public async Task Given_a_group_that_fails_for_one_submission_then_only_that_submission_fails()
    {
        var handler = new HeldHandler { Fail = entries => entries.Contains(13) ? new InvalidOperationException("entry 13 is bad") : null };
        var (commit, first) = await HoldingFirstGroupAsync(handler);

        var good = commit.SubmitAsync([1, 2], CancellationToken.None);
        var bad = commit.SubmitAsync([13], CancellationToken.None);
        var alsoGood = commit.SubmitAsync([3], CancellationToken.None);
        handler.Release.SetResult();

        await Task.WhenAll(first, good, alsoGood).WaitAsync(Wait);
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => bad.WaitAsync(Wait));
        Assert.Equal("entry 13 is bad", failure.Message);
        Assert.Equal([[0], [1, 2, 13, 3], [1, 2], [13], [3]], handler.Groups);
    }

    [Fact]
    public async Task Given_a_transient_failure_then_every_submission_of_the_group_fails_for_its_retry()
    {
        var calls = 0;
        var handler = new HeldHandler { Fail = _ => Interlocked.Increment(ref calls) == 2 ? new TimeoutException("database busy") : null };
        var (commit, first) = await HoldingFirstGroupAsync(handler);

        var a = commit.SubmitAsync([1], CancellationToken.None);
        var b = commit.SubmitAsync([2], CancellationToken.None);
        handler.Release.SetResult();

        await first.WaitAsync(Wait);
        await Assert.ThrowsAsync<TimeoutException>(() => a.WaitAsync(Wait));
        await Assert.ThrowsAsync<TimeoutException>(() => b.WaitAsync(Wait));
        Assert.Equal([[0], [1, 2]], handler.Groups);
    }

    [Fact]
    public async Task Given_a_submission_whose_consumer_stopped_while_it_waited_then_it_is_not_handled()
    {
        var handler = new HeldHandler();
        var (commit, first) = await HoldingFirstGroupAsync(handler);

        using var stopped = new CancellationTokenSource();
        var cancelled = commit.SubmitAsync([1], stopped.Token);
        var kept = commit.SubmitAsync([2], CancellationToken.None);
        await stopped.CancelAsync();
        handler.Release.SetResult();

        await Task.WhenAll(first, kept).WaitAsync(Wait);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Wait));
        Assert.Equal([[0], [2]], handler.Groups);
    }

    [Fact]
    public async Task Given_messages_that_reach_the_group_commit_out_of_their_queue_order_then_a_group_handles_them_in_queue_order()
    {
        var handler = new HeldHandler();
        var (commit, first) = await HoldingFirstGroupAsync(handler);

        var later = new[] { commit.SubmitAsync([4], CancellationToken.None, order: 4), commit.SubmitAsync([2], CancellationToken.None, order: 2),
            commit.SubmitAsync([3], CancellationToken.None, order: 3) };
        handler.Release.SetResult();
        await Task.WhenAll([first, .. later]).WaitAsync(Wait);

        Assert.Equal([[0], [2, 3, 4]], handler.Groups);
    }

    [Fact]
    public async Task Given_a_paused_service_then_no_group_is_handled_until_the_resume_and_then_in_queue_order()
    {
        var pause = new MaintenancePause();
        var handler = new HeldHandler();
        handler.Release.SetResult();
        var commit = new GroupCommit<int>(handler.HandleAsync, maxEntries: 100, concurrency: 1, NullLogger.Instance, pause);
        await pause.PauseAsync("rebuild", TimeSpan.FromSeconds(5), CancellationToken.None);

        // The first may be taken by the waiting group commit at once (and held there); the rest gather behind it.
        var held = new[] { commit.SubmitAsync([0], CancellationToken.None, order: 1) };
        await Task.Delay(100);
        held = [.. held, commit.SubmitAsync([3], CancellationToken.None, order: 3), commit.SubmitAsync([2], CancellationToken.None, order: 2)];
        await Task.Delay(200);
        Assert.Empty(handler.Groups);
        Assert.All(held, t => Assert.False(t.IsCompleted));

        pause.Resume();
        await Task.WhenAll(held).WaitAsync(Wait);
        Assert.Equal([0, 2, 3], handler.Groups.SelectMany(g => g));
    }

    [Fact]
    public async Task Given_a_disposed_group_commit_then_the_submissions_waiting_are_still_handled_and_new_ones_are_refused()
    {
        var handler = new HeldHandler();
        var (commit, first) = await HoldingFirstGroupAsync(handler);
        var waiting = commit.SubmitAsync([1], CancellationToken.None);

        commit.Dispose();
        await Assert.ThrowsAsync<InvalidOperationException>(() => commit.SubmitAsync([2], CancellationToken.None));
        handler.Release.SetResult();

        await Task.WhenAll(first, waiting).WaitAsync(Wait);
        Assert.Equal([[0], [1]], handler.Groups);
    }

    [Fact]
    public async Task Given_a_pace_then_what_arrives_within_it_after_a_group_waits_for_the_next_group()
    {
        var handler = new HeldHandler();
        handler.Release.SetResult();
        var pace = TimeSpan.FromSeconds(3);
        var commit = new GroupCommit<int>(handler.HandleAsync, maxEntries: 100, concurrency: 1, NullLogger.Instance, pace: pace);
        var started = System.Diagnostics.Stopwatch.StartNew();

        await commit.SubmitAsync([1], CancellationToken.None).WaitAsync(Wait);
        var second = commit.SubmitAsync([2], CancellationToken.None);
        await Task.Delay(200);
        var third = commit.SubmitAsync([3], CancellationToken.None);
        await Task.WhenAll(second, third).WaitAsync(Wait);

        // Unpaced, the second would be handled as it arrived (an idle group commit handles a submission at once).
        Assert.Equal([[1], [2, 3]], handler.Groups);
        // A timer may fire a little early; the group is in any case not taken before most of the pace has passed.
        Assert.True(started.Elapsed >= pace - TimeSpan.FromMilliseconds(50), $"{started.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Given_a_pace_and_a_backlog_that_fills_each_group_then_the_next_group_is_taken_at_once()
    {
        var handler = new HeldHandler();
        var commit = new GroupCommit<int>(handler.HandleAsync, maxEntries: 2, concurrency: 1, NullLogger.Instance, pace: TimeSpan.FromSeconds(30));
        var first = commit.SubmitAsync([0, 1], CancellationToken.None);
        await handler.FirstStarted.Task.WaitAsync(Wait);
        var waiting = new[] { commit.SubmitAsync([2, 3], CancellationToken.None), commit.SubmitAsync([4], CancellationToken.None) };
        handler.Release.SetResult();

        // Full groups are not paced; the last, not full, would hold the next group for the pace.
        await Task.WhenAll([first, .. waiting]).WaitAsync(Wait);
        Assert.Equal([[0, 1], [2, 3], [4]], handler.Groups);
    }
}

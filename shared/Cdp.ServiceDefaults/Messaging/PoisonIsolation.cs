using MassTransit;
using Microsoft.Extensions.Logging;

namespace Cdp.ServiceDefaults.Messaging;

/// <summary>
/// Keeps one bad message from taking its whole batch to the error queue. A batch that fails for a reason
/// that is not transient is handled again message by message; a message that still fails on its own is
/// moved to the endpoint's <c>_error</c> queue with the reason in its headers (as MassTransit does for a
/// single message), and the rest of the batch is processed. Transient failures (database down, lost races,
/// timeouts) are rethrown, so MassTransit's retry handles the whole batch as before.
/// </summary>
public static class PoisonIsolation
{
    /// <summary>Messages moved to an error queue by this isolation.</summary>
    public static readonly System.Diagnostics.Metrics.Counter<long> Isolated =
        new System.Diagnostics.Metrics.Meter(Telemetry.CdpMetrics.MeterName).CreateCounter<long>("cdp.messages.poison_isolated");

    /// <summary>Runs <paramref name="handle"/> on the batch, isolating poison messages as described above, and logs each batch's size and time at Debug.</summary>
    public static Task ConsumeAsync<T>(ConsumeContext<Batch<T>> context, Func<IReadOnlyList<ConsumeContext<T>>, Task> handle, ILogger logger)
        where T : class =>
        IsolateAsync(context.Message.ToList(), handle, (m, e) => MoveToErrorQueueAsync(context, m.Message, m.MessageId, m.CorrelationId, e, logger),
            typeof(T).Name, logger);

    /// <summary>
    /// For messages that carry several entries each (EventsResolved, ProfilesChanged): runs <paramref name="handle"/> on
    /// the entries of the whole batch; when that fails for a reason that is not transient, on each entry alone, and an
    /// entry that still fails goes to the <c>_error</c> queue in a message of its own (<paramref name="alone"/>), so the
    /// other entries of its message are not held back with it, and moving it back to the queue re-drives it.
    /// </summary>
    public static Task ConsumeEntriesAsync<TMessage, TEntry>(ConsumeContext<Batch<TMessage>> context,
        Func<ConsumeContext<TMessage>, IEnumerable<TEntry>> entriesOf, Func<TEntry, TMessage> alone, Func<IReadOnlyList<TEntry>, Task> handle, ILogger logger)
        where TMessage : class where TEntry : class =>
        IsolateAsync([.. context.Message.SelectMany(entriesOf)], handle,
            (entry, e) => MoveToErrorQueueAsync(context, alone(entry), null, null, e, logger), typeof(TEntry).Name, logger);

    /// <summary>
    /// As the batch overload, for one message that carries several entries (handed to a <see cref="GroupCommit{TEntry}"/>
    /// by <paramref name="handle"/>): when its entries fail for a reason that is not transient, each is handled alone, and
    /// one that still fails goes to the <c>_error</c> queue in a message of its own (<paramref name="alone"/>).
    /// </summary>
    public static Task ConsumeEntriesAsync<TMessage, TEntry>(ConsumeContext<TMessage> context, IReadOnlyList<TEntry> entries,
        Func<TEntry, TMessage> alone, Func<IReadOnlyList<TEntry>, Task> handle, ILogger logger)
        where TMessage : class where TEntry : class =>
        IsolateAsync(entries, handle, (entry, e) => MoveToErrorQueueAsync(context, alone(entry), null, null, e, logger), typeof(TEntry).Name, logger);

    private static async Task IsolateAsync<T>(IReadOnlyList<T> messages, Func<IReadOnlyList<T>, Task> handle, Func<T, Exception, Task> moveToErrorQueue,
        string name, ILogger logger)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await handle(messages);
            // Batch sizes and times show whether a stage is starved, saturated or waiting on the database.
            logger.LogDebug("{Message} batch of {Count} in {Elapsed:N1} ms", name, messages.Count,
                System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return;
        }
        catch (Exception e) when (!IsTransient(e) && messages.Count > 1)
        {
            logger.LogWarning(e, "A batch of {Count} {Message} failed; handling its messages one by one to isolate the cause", messages.Count, name);
        }
        catch (Exception e) when (!IsTransient(e))
        {
            await moveToErrorQueue(messages[0], e);
            return;
        }
        foreach (var message in messages)
        {
            try
            {
                await handle([message]);
            }
            catch (Exception e) when (!IsTransient(e))
            {
                await moveToErrorQueue(message, e);
            }
        }
    }

    private static bool IsTransient(Exception e) => Persistence.Transience.IsTransient(e);

    private static async Task MoveToErrorQueueAsync<T>(ConsumeContext context, T message, Guid? messageId, Guid? correlationId,
        Exception e, ILogger logger)
        where T : class
    {
        var queue = context.ReceiveContext.InputAddress.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).Last();
        var endpoint = await context.GetSendEndpoint(new Uri($"queue:{queue}_error"));
        await endpoint.Send(message, send =>
        {
            if (messageId is not null) send.MessageId = messageId;
            send.CorrelationId = correlationId;
            send.Headers.Set("MT-Reason", "fault");
            send.Headers.Set("MT-Fault-ExceptionType", e.GetType().FullName);
            send.Headers.Set("MT-Fault-Message", e.Message);
            send.Headers.Set("MT-Fault-StackTrace", e.StackTrace);
            send.Headers.Set("MT-Fault-Timestamp", DateTime.UtcNow.ToString("O"));
            send.Headers.Set("MT-Fault-InputAddress", context.ReceiveContext.InputAddress.ToString());
        }, context.CancellationToken);
        Isolated.Add(1, new KeyValuePair<string, object?>("queue", queue));
        logger.LogError(e, "{Message} {MessageId} failed on its own and was moved to {Queue}_error; fix the cause, then move it back to {Queue} to re-drive it",
            typeof(T).Name, messageId, queue, queue);
    }
}

using MassTransit;
using MassTransit.Events;
using MassTransit.Metadata;
using Microsoft.Extensions.Logging;

namespace Cdp.ServiceDefaults.Messaging;

/// <summary>
/// Keeps one bad entry from taking the other entries of its message (EventsCollected, EventsResolved, ProfilesChanged)
/// to the error queue. When a message's entries fail for a reason that is not transient, each is handled alone; an
/// entry that still fails is moved to the endpoint's <c>_error</c> queue in a message of its own, with the reason in
/// its headers (as MassTransit does for a whole message), so moving it back to the queue re-drives it, and the rest
/// of the message is processed. A <c>Fault&lt;T&gt;</c> of the entry's message is published too, as MassTransit
/// publishes one for a whole message. Transient failures (database down, lost races, timeouts) are rethrown, so
/// MassTransit's retry handles the whole message as before.
/// </summary>
public static class PoisonIsolation
{
    /// <summary>Entries moved to an error queue by this isolation.</summary>
    public static readonly System.Diagnostics.Metrics.Counter<long> Isolated =
        new System.Diagnostics.Metrics.Meter(Telemetry.CdpMetrics.MeterName).CreateCounter<long>("cdp.messages.poison_isolated");

    /// <summary>
    /// Runs <paramref name="handle"/> (which hands them to a <see cref="GroupCommit{TEntry}"/>) on the message's
    /// <paramref name="entries"/>, isolating a bad one as described above; <paramref name="alone"/> makes the message
    /// an entry travels in to the error queue.
    /// </summary>
    public static Task ConsumeEntriesAsync<TMessage, TEntry>(ConsumeContext<TMessage> context, IReadOnlyList<TEntry> entries,
        Func<TEntry, TMessage> alone, Func<IReadOnlyList<TEntry>, Task> handle, ILogger logger)
        where TMessage : class where TEntry : class =>
        IsolateAsync(entries, handle, (entry, e) => MoveToErrorQueueAsync(context, alone(entry), e, logger), typeof(TEntry).Name, logger);

    private static async Task IsolateAsync<T>(IReadOnlyList<T> entries, Func<IReadOnlyList<T>, Task> handle, Func<T, Exception, Task> moveToErrorQueue,
        string name, ILogger logger)
    {
        try
        {
            await handle(entries);
            return;
        }
        catch (Exception e) when (!IsTransient(e) && entries.Count > 1)
        {
            logger.LogWarning(e, "A message's {Count} {Entry} entries failed; handling them one by one to isolate the cause", entries.Count, name);
        }
        catch (Exception e) when (!IsTransient(e))
        {
            await moveToErrorQueue(entries[0], e);
            return;
        }
        foreach (var entry in entries)
        {
            try
            {
                await handle([entry]);
            }
            catch (Exception e) when (!IsTransient(e))
            {
                await moveToErrorQueue(entry, e);
            }
        }
    }

    private static bool IsTransient(Exception e) => Persistence.Transience.IsTransient(e);

    private static async Task MoveToErrorQueueAsync<T>(ConsumeContext context, T message, Exception e, ILogger logger)
        where T : class
    {
        var queue = context.ReceiveContext.InputAddress.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).Last();
        var endpoint = await context.GetSendEndpoint(new Uri($"queue:{queue}_error"));
        await endpoint.Send(message, send =>
        {
            send.Headers.Set("MT-Reason", "fault");
            send.Headers.Set("MT-Fault-ExceptionType", e.GetType().FullName);
            send.Headers.Set("MT-Fault-Message", e.Message);
            send.Headers.Set("MT-Fault-StackTrace", e.StackTrace);
            send.Headers.Set("MT-Fault-Timestamp", DateTime.UtcNow.ToString("O"));
            send.Headers.Set("MT-Fault-InputAddress", context.ReceiveContext.InputAddress.ToString());
        }, context.CancellationToken);
        // As MassTransit does for a whole message that fails for good, so alerting bound to the faults hears of it. The
        // entry is in the error queue already: a fault that cannot be published is logged, and the message goes on.
        FaultData.Scrub(e);
        try
        {
            await context.Publish<Fault<T>>(new FaultEvent<T>(message, context.MessageId, HostMetadataCache.Host, e, MessageTypeCache<T>.MessageTypeNames),
                context.CancellationToken);
        }
        catch (Exception publishing) when (publishing is not OperationCanceledException)
        {
            logger.LogWarning(publishing, "The fault of an entry of {Message} {MessageId} moved to {Queue}_error could not be published", typeof(T).Name,
                context.MessageId, queue);
        }
        Isolated.Add(1, new KeyValuePair<string, object?>("queue", queue));
        logger.LogError(e, "An entry of {Message} {MessageId} failed on its own and was moved to {Queue}_error alone; fix the cause, then move it back to the input queue to re-drive it",
            typeof(T).Name, context.MessageId, queue);
    }
}

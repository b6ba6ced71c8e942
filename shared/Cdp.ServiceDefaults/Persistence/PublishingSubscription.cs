using System.Diagnostics;
using Cdp.ServiceDefaults.Messaging;
using Cdp.ServiceDefaults.Telemetry;
using JasperFx.Events;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Marten.Subscriptions;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Cdp.ServiceDefaults.Persistence;

/// <summary>A message to publish for a stored event, with the id downstream consumers dedupe on.</summary>
/// <param name="MessageId">Becomes the MassTransit message id.</param>
/// <param name="Message">The contract record.</param>
/// <param name="TraceParent">The W3C trace context of the request that caused it, if known.</param>
/// <param name="LinkedTraces">For a message carrying several entries, the trace contexts of the entries after the first,
/// linked to the publish so each entry's trace shows where it went.</param>
public sealed record OutgoingMessage(Guid MessageId, object Message, string? TraceParent, IReadOnlyList<string?>? LinkedTraces = null);

/// <summary>
/// Marten as the outbox: a subscription that publishes what was appended. The daemon commits the
/// subscription's progress only after <see cref="ProcessEventsAsync"/> returns, so every event is
/// published at least once; failures are retried here (never skipped) until the broker confirms.
/// </summary>
public abstract class PublishingSubscription : SubscriptionBase
{
    private readonly IBus _bus;
    private readonly ConfirmedPublishing _publishing;

    /// <summary>Creates the subscription.</summary>
    protected PublishingSubscription(IBus bus, ILogger logger)
    {
        _bus = bus;
        _publishing = new ConfirmedPublishing(logger, GetType().Name);
    }

    /// <summary>The messages to publish for one page of events, in order.</summary>
    protected abstract Task<IReadOnlyList<OutgoingMessage>> MessagesForAsync(IReadOnlyList<IEvent> events, IDocumentOperations operations, CancellationToken ct);

    /// <inheritdoc />
    public override async Task<IChangeListener> ProcessEventsAsync(EventRange page, ISubscriptionController controller,
        IDocumentOperations operations, CancellationToken cancellationToken)
    {
        var messages = await MessagesForAsync(page.Events, operations, cancellationToken);
        if (messages.Count > 0)
        {
            // All publishes of a page are in flight together: one confirm round trip per page, not per message.
            await _publishing.RunAsync(ct => Task.WhenAll(messages.Select(m => PublishAsync(m, ct))), cancellationToken);
        }
        return NullChangeListener.Instance;
    }

    private async Task PublishAsync(OutgoingMessage outgoing, CancellationToken ct)
    {
        ActivityContext.TryParse(outgoing.TraceParent, null, out var parent);
        var links = outgoing.LinkedTraces?.Distinct()
            .Select(t => ActivityContext.TryParse(t, null, out var linked) ? new ActivityLink(linked) : default)
            .Where(l => l.Context != default).ToList();
        using var activity = TelemetryExtensions.Source.StartActivity($"publish {outgoing.Message.GetType().Name}", ActivityKind.Producer, parent, links: links);
        await _bus.Publish(outgoing.Message, outgoing.Message.GetType(), c => c.MessageId = outgoing.MessageId, ct);
    }

    /// <summary>
    /// Entries for several events gathered into messages of many entries each (<see cref="MessageBatches"/>), in order:
    /// each message takes the id and the trace of its first entry's event and links the traces of the others.
    /// </summary>
    protected static IEnumerable<OutgoingMessage> Batched<TEntry>(IReadOnlyList<(IEvent Source, TEntry Entry)> entries,
        Func<IReadOnlyList<TEntry>, object> envelope) where TEntry : notnull =>
        MessageBatches.Split(entries, e => e.Entry).Select(batch => new OutgoingMessage(batch[0].Source.Id,
            envelope([.. batch.Select(b => b.Entry)]), TraceParentOf(batch[0].Source), [.. batch.Skip(1).Select(b => TraceParentOf(b.Source))]));

    /// <summary>The trace context stored with an event, if any.</summary>
    protected static string? TraceParentOf(IEvent e) =>
        e.Headers is not null && e.Headers.TryGetValue(EventTrace.HeaderName, out var value) ? value?.ToString() : null;
}

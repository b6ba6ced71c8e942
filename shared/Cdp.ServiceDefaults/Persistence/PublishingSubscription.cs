using System.Diagnostics;
using Cdp.ServiceDefaults.Telemetry;
using JasperFx.Events;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Marten.Subscriptions;
using MassTransit;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Cdp.ServiceDefaults.Persistence;

/// <summary>A message to publish for a stored event, with the id downstream consumers dedupe on.</summary>
/// <param name="MessageId">Becomes the MassTransit message id.</param>
/// <param name="Message">The contract record.</param>
/// <param name="TraceParent">The W3C trace context of the request that caused it, if known.</param>
public sealed record OutgoingMessage(Guid MessageId, object Message, string? TraceParent);

/// <summary>
/// Marten as the outbox: a subscription that publishes what was appended. The daemon commits the
/// subscription's progress only after <see cref="ProcessEventsAsync"/> returns, so every event is
/// published at least once; failures are retried here (never skipped) until the broker confirms.
/// </summary>
public abstract class PublishingSubscription : SubscriptionBase
{
    private readonly IBus _bus;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _publishing;

    /// <summary>Creates the subscription.</summary>
    protected PublishingSubscription(IBus bus, ILogger logger)
    {
        _bus = bus;
        _logger = logger;
        _publishing = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(200),
                MaxDelay = TimeSpan.FromSeconds(5),
                ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException || e is TimeoutException),
                OnRetry = a =>
                {
                    _logger.LogWarning(a.Outcome.Exception, "Publishing from {Subscription} failed (attempt {Attempt}); retrying", GetType().Name, a.AttemptNumber + 1);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
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
            await _publishing.ExecuteAsync(async ct => await Task.WhenAll(messages.Select(m => PublishAsync(m, ct))), cancellationToken);
        }
        return NullChangeListener.Instance;
    }

    private async Task PublishAsync(OutgoingMessage outgoing, CancellationToken ct)
    {
        ActivityContext.TryParse(outgoing.TraceParent, null, out var parent);
        using var activity = TelemetryExtensions.Source.StartActivity($"publish {outgoing.Message.GetType().Name}", ActivityKind.Producer, parent);
        // A publish awaiting its confirm can hang across a broker restart; never wait forever.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        try
        {
            await _bus.Publish(outgoing.Message, outgoing.Message.GetType(), c => c.MessageId = outgoing.MessageId, timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"RabbitMQ did not confirm {outgoing.Message.GetType().Name} {outgoing.MessageId} within 15 s");
        }
    }

    /// <summary>The trace context stored with an event, if any.</summary>
    protected static string? TraceParentOf(IEvent e) =>
        e.Headers is not null && e.Headers.TryGetValue(EventTrace.HeaderName, out var value) ? value?.ToString() : null;
}

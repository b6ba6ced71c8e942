using Cdp.Activation.Audiences.Definitions;
using Cdp.Activation.Delivery.Subscriptions;
using Cdp.Activation.Delivery.Webhooks;
using Cdp.Contracts.Activation;
using Cdp.ServiceDefaults.Persistence;
using JasperFx.Events;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Marten.Subscriptions;
using MassTransit;

namespace Cdp.Activation.Delivery;

/// Marten as the outbox for audience changes: every entered/exited event goes to the topic exchange
/// (routing key audience.change), to Segment-format queue subscriptions, and to the webhook queue.
/// The daemon commits progress only after this returns, so delivery is at least once, in order per profile.
public sealed class AudienceChangePublisher(AudienceChangeExchange exchange, IBus bus, ILogger<AudienceChangePublisher> logger) : SubscriptionBase
{
    private readonly ConfirmedPublishing _publishing = new(logger, nameof(AudienceChangePublisher));

    public override async Task<IChangeListener> ProcessEventsAsync(EventRange page, ISubscriptionController controller,
        IDocumentOperations operations, CancellationToken cancellationToken)
    {
        var changes = page.Events
            .Select(e => (Event: e, Change: AudienceChangeBodies.Change(e.Id, e.Data)))
            .Where(c => c.Change is not null)
            .ToList();
        if (changes.Count == 0) return NullChangeListener.Instance;

        var subscriptions = (await operations.Query<AudienceSubscription>().ToListAsync(cancellationToken)).ToLookup(s => s.AudienceKey);
        var names = (await operations.Query<Audience>().ToListAsync(cancellationToken)).ToDictionary(a => a.Key, a => a.Name);
        var messages = new List<AudienceChangeExchange.Outgoing>(changes.Count);
        var webhooks = new List<WebhookDeliveryRequested>();
        foreach (var (e, change) in changes)
        {
            messages.Add(new(AudienceMembershipChanged.Exchange, change!.RoutingKey, change.Id, AudienceChangeBodies.For(SubscriptionFormats.Json, change, ""),
                SubscriptionFormats.Json));
            foreach (var s in subscriptions[change.AudienceKey])
            {
                var name = names.GetValueOrDefault(change.AudienceKey, change.AudienceKey);
                if (s.Kind == SubscriptionKinds.Webhook)
                {
                    var body = System.Text.Encoding.UTF8.GetString(AudienceChangeBodies.For(s.Format, change, name));
                    webhooks.Add(new WebhookDeliveryRequested(AudienceChangeBodies.DeliveryId(change.Id, s.Id), s.Id, change.ProfileId,
                        change.AudienceKey, e.Sequence, change.Id, body));
                }
                else if (s.Format != SubscriptionFormats.Json)
                {
                    // JSON queue subscriptions are bound to the exchange; the Segment formats go straight to their queue.
                    messages.Add(new("", s.Queue!, change.Id, AudienceChangeBodies.For(s.Format, change, name), s.Format));
                }
            }
        }

        if (webhooks.Count > 0)
        {
            // Committed before they are published (the page's own operations commit after): a later change of a profile waits
            // while an earlier one is pending.
            await using var pending = operations.DocumentStore.LightweightSession();
            pending.Store(webhooks.Select(PendingDelivery.Of).ToArray());
            await pending.SaveChangesAsync(cancellationToken);
        }
        await _publishing.RunAsync(ct => Task.WhenAll(
            exchange.PublishAsync(messages, ct),
            Task.WhenAll(webhooks.Select(w => bus.Publish(w, c => c.MessageId = w.DeliveryId, ct)))), cancellationToken);
        return NullChangeListener.Instance;
    }
}

using Cdp.Activation.Delivery.Subscriptions;
using Cdp.ServiceDefaults.Persistence;
using Cdp.ServiceDefaults.Telemetry;
using Marten;
using MassTransit;

namespace Cdp.Activation.Delivery.Webhooks;

/// Consume a delivery request: post it (WebhookSender retries), or dead-letter it once retries are spent.
/// A delivery waits in the dead-letter store behind an earlier dead-lettered one of the same profile and
/// destination, so order per profile per destination holds; a re-drive sends them again in order.
public sealed class WebhookDeliveryConsumer(IDocumentStore store, WebhookSender sender, TimeProvider clock) : IConsumer<WebhookDeliveryRequested>
{
    public async Task Consume(ConsumeContext<WebhookDeliveryRequested> context)
    {
        var delivery = context.Message;
        var ct = context.CancellationToken;
        var marker = $"webhook/{delivery.DeliveryId}";
        await using var session = store.LightweightSession();
        if (await session.WasProcessedAsync(marker, ct))
        {
            CdpMetrics.DuplicatesSkipped.Add(1, new KeyValuePair<string, object?>("consumer", nameof(WebhookDeliveryConsumer)));
            return;
        }
        var subscription = await session.LoadAsync<AudienceSubscription>(delivery.SubscriptionId, ct);
        if (subscription is not null)
        {
            var ownId = delivery.RedriveOf ?? delivery.DeliveryId.ToString();
            var blocked = await session.Query<DeadLetteredDelivery>().AnyAsync(d => d.SubscriptionId == delivery.SubscriptionId
                && d.ProfileId == delivery.ProfileId && d.Sequence < delivery.Sequence && d.Id != ownId, ct);
            var outcome = blocked
                ? new WebhookSender.Outcome(false, 0, "waiting behind an earlier dead-lettered delivery for this profile (order is kept)")
                : await sender.SendAsync(subscription, delivery, ct);
            if (outcome.Delivered)
            {
                if (delivery.RedriveOf is not null) session.Delete<DeadLetteredDelivery>(delivery.RedriveOf);
            }
            else
            {
                session.Store(new DeadLetteredDelivery
                {
                    Id = ownId, SubscriptionId = delivery.SubscriptionId, ProfileId = delivery.ProfileId, AudienceKey = delivery.AudienceKey,
                    Sequence = delivery.Sequence, ChangeId = delivery.ChangeId, Body = delivery.Body, Reason = outcome.Failure ?? "failed",
                    Attempts = outcome.Attempts, DeadLetteredAt = clock.GetUtcNow(),
                });
            }
        }
        else if (delivery.RedriveOf is not null)
        {
            session.Delete<DeadLetteredDelivery>(delivery.RedriveOf);
        }
        session.MarkProcessed(marker, clock.GetUtcNow());
        await session.SaveChangesAsync(ct);
    }
}

using Cdp.Activation.Delivery.Subscriptions;
using Cdp.ServiceDefaults.Persistence;
using Cdp.ServiceDefaults.Telemetry;
using Marten;
using MassTransit;

namespace Cdp.Activation.Delivery.Webhooks;

/// Consume a delivery request: post it (WebhookSender retries), or dead-letter it once retries are spent.
/// Order per profile per destination: a delivery waits while an earlier one of the same profile and destination is
/// pending (EarlierDeliveryPending, retried), and waits in the dead-letter store behind an earlier dead-lettered one;
/// a re-drive sends them again in order.
public sealed class WebhookDeliveryConsumer(IDocumentStore store, WebhookSender sender, TimeProvider clock) : IConsumer<WebhookDeliveryRequested>
{
    /// How long a delivery waits for an earlier one still being attempted before it goes to the dead-letter store behind it.
    /// Longer than an earlier delivery's attempts take with the default settings (6 attempts of up to 10 s, 31 s of backoff).
    public static readonly TimeSpan OrderWait = TimeSpan.FromMinutes(10);

    public async Task Consume(ConsumeContext<WebhookDeliveryRequested> context)
    {
        var delivery = context.Message;
        var ct = context.CancellationToken;
        var marker = $"webhook/{delivery.DeliveryId}";
        await using var session = store.LightweightSession();
        // Whatever happens below, this delivery is no longer pending once the transaction commits.
        session.Delete<PendingDelivery>(delivery.DeliveryId);
        if (await session.WasProcessedAsync(marker, ct))
        {
            CdpMetrics.DuplicatesSkipped.Add(1, new KeyValuePair<string, object?>("consumer", nameof(WebhookDeliveryConsumer)));
            // A page published again stores its pending rows again: the redelivered message clears its own.
            await session.SaveChangesAsync(ct);
            return;
        }
        var subscription = await session.LoadAsync<AudienceSubscription>(delivery.SubscriptionId, ct);
        if (subscription is not null)
        {
            var ownId = delivery.RedriveOf ?? delivery.DeliveryId.ToString();
            var outcome = await TurnAsync(session, context, ownId, ct) ?? await sender.SendAsync(subscription, delivery, ct);
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

    /// Null when it is this delivery's turn; otherwise why it goes to the dead-letter store without an attempt.
    /// Throws EarlierDeliveryPending while an earlier delivery is still being attempted, for at most OrderWait.
    private async Task<WebhookSender.Outcome?> TurnAsync(IDocumentSession session, ConsumeContext<WebhookDeliveryRequested> context, string ownId,
        CancellationToken ct)
    {
        var delivery = context.Message;
        var pending = await session.Query<PendingDelivery>().AnyAsync(p => p.SubscriptionId == delivery.SubscriptionId
            && p.ProfileId == delivery.ProfileId && p.Sequence < delivery.Sequence, ct);
        if (pending)
        {
            // On the wall clock its publisher stamped it with, not the service's TimeProvider (which a test may move).
            var waited = DateTime.UtcNow - (context.SentTime ?? DateTime.UtcNow);
            if (waited < OrderWait) throw new EarlierDeliveryPending(delivery);
            return new(false, 0, $"waited {OrderWait.TotalMinutes:0} min behind an earlier delivery for this profile that is still being attempted " +
                "(order is kept); re-drive it once that one is done");
        }
        var blocked = await session.Query<DeadLetteredDelivery>().AnyAsync(d => d.SubscriptionId == delivery.SubscriptionId
            && d.ProfileId == delivery.ProfileId && d.Sequence < delivery.Sequence && d.Id != ownId, ct);
        return blocked ? new(false, 0, "waiting behind an earlier dead-lettered delivery for this profile (order is kept)") : null;
    }
}

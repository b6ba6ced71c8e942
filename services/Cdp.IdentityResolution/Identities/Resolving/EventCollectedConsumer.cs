using Cdp.Contracts.Collector;
using Cdp.Contracts.Identity;
using Cdp.IdentityResolution.Identities.Extraction;
using Cdp.ServiceDefaults.Persistence;
using Cdp.ServiceDefaults.Telemetry;
using Marten;
using MassTransit;

namespace Cdp.IdentityResolution.Identities.Resolving;

/// Consume, decide, append with the processed-message marker in one transaction; the
/// subscription in Publishing/ publishes EventResolved from what was appended.
public sealed class EventCollectedConsumer(IDocumentStore store, TimeProvider clock) : IConsumer<EventCollected>
{
    public async Task Consume(ConsumeContext<EventCollected> context)
    {
        var collected = context.Message;
        var ct = context.CancellationToken;
        await using var session = store.LightweightSession();
        if (await session.WasProcessedAsync(collected.MessageId, ct))
        {
            CdpMetrics.DuplicatesSkipped.Add(1, new KeyValuePair<string, object?>("consumer", nameof(EventCollectedConsumer)));
            return;
        }

        var identifiers = IdentifierExtractor.Extract(collected);
        var owners = (await session.LoadManyAsync<IdentifierOwner>(ct, identifiers.Select(i => i.ToString())))
            .ToDictionary(o => o.Id, o => o.ProfileId);
        var decision = IdentityDecision.Decide(identifiers, owners, ProfileIds.New());
        var now = clock.GetUtcNow();

        var events = new List<object>();
        if (decision.IsNewProfile) events.Add(new ProfileCreated(decision.ProfileId, collected.MessageId, now));
        foreach (var identifier in decision.Added)
        {
            events.Add(new IdentifierAdded(decision.ProfileId, identifier.Type, identifier.Value, collected.MessageId, now));
            session.Insert(new IdentifierOwner(identifier.ToString(), decision.ProfileId));
        }
        events.Add(new EventAttributed(decision.ProfileId, collected, identifiers, Array.Empty<DroppedIdentifier>(), now));

        session.StampTrace();
        if (decision.IsNewProfile) session.Events.StartStream(decision.ProfileId, events);
        else session.Events.Append(decision.ProfileId, events);
        session.MarkProcessed(collected.MessageId, now);
        await session.SaveChangesAsync(ct);
    }
}

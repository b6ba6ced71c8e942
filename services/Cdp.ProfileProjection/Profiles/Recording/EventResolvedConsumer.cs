using Cdp.Contracts.Identity;
using Cdp.ServiceDefaults.Persistence;
using Cdp.ServiceDefaults.Telemetry;
using Marten;
using MassTransit;

namespace Cdp.ProfileProjection.Profiles.Recording;

/// Appends a resolved event to its profile's stream; the inline projection updates the profile in
/// the same transaction, and the processed-message marker (the event's own message id) makes a
/// redelivery a no-op, so each message id is counted once.
public sealed class EventResolvedConsumer(IDocumentStore store, TimeProvider clock) : IConsumer<EventResolved>
{
    public async Task Consume(ConsumeContext<EventResolved> context)
    {
        var resolved = context.Message;
        var ct = context.CancellationToken;
        await using var session = store.LightweightSession();
        var marker = $"{resolved.Event.SourceId}:{resolved.Event.MessageId}";
        if (await session.WasProcessedAsync(marker, ct))
        {
            CdpMetrics.DuplicatesSkipped.Add(1, new KeyValuePair<string, object?>("consumer", nameof(EventResolvedConsumer)));
            return;
        }

        // Events that still arrive for a merged profile land on its survivor. Optimistic concurrency on the
        // stream: a concurrent writer to this profile (or a merge of it) makes one of us retry.
        var profileId = await CanonicalProfiles.ResolveAsync(session, resolved.ProfileId, ct);
        var stream = await session.Events.FetchForWriting<CustomerProfile>(profileId, ct);
        var now = clock.GetUtcNow();
        var newIdentifiers = resolved.Identifiers.Where(i => stream.Aggregate?.Holds(i) != true).ToList();
        if (newIdentifiers.Count > 0)
        {
            stream.AppendOne(new IdentifiersLinked(profileId, newIdentifiers, resolved.Event.MessageId, now));
        }
        stream.AppendOne(CustomerEventFactory.From(profileId, resolved.Event));

        session.StampTrace();
        session.MarkProcessed(marker, now);
        await session.SaveChangesAsync(ct);
    }
}

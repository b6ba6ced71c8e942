using Cdp.Contracts.Identity;
using Cdp.IdentityResolution.Identities;
using Cdp.ServiceDefaults.Persistence;
using JasperFx.Events;
using Marten;
using MassTransit;

namespace Cdp.IdentityResolution.Publishing;

/// Publishes EventResolved for every attributed (or re-attributed) event, ProfilesMerged for every merge and
/// ProfileRetired for every profile new rules superseded, from the
/// event store (Marten as the outbox).
public sealed class IdentityPublisher(IBus bus, ILogger<IdentityPublisher> logger) : PublishingSubscription(bus, logger)
{
    protected override Task<IReadOnlyList<OutgoingMessage>> MessagesForAsync(IReadOnlyList<IEvent> events, IDocumentOperations operations, CancellationToken ct)
    {
        var messages = new List<OutgoingMessage>();
        foreach (var e in events)
        {
            object? message = e.Data switch
            {
                EventAttributed a => new EventResolved(a.ProfileId, a.Event, a.Identifiers, a.Dropped),
                ProfileMergedFrom m => new ProfilesMerged(m.ProfileId, m.MergedId, m.Evidence.MessageId, m.Evidence.MergedSide, m.At),
                EventReattributed r => new EventResolved(r.ProfileId, r.Event, r.Identifiers, r.Dropped, r.RunId),
                ProfileSuperseded s => new ProfileRetired(s.ProfileId, s.SucceededBy, s.RunId, s.At),
                _ => null,
            };
            if (message is not null) messages.Add(new OutgoingMessage(e.Id, message, TraceParentOf(e)));
        }
        return Task.FromResult<IReadOnlyList<OutgoingMessage>>(messages);
    }
}

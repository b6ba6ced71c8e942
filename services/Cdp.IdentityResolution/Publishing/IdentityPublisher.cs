using Cdp.Contracts.Identity;
using Cdp.IdentityResolution.Identities;
using Cdp.ServiceDefaults.Persistence;
using JasperFx.Events;
using Marten;
using MassTransit;

namespace Cdp.IdentityResolution.Publishing;

/// Publishes the attributed (or re-attributed) events of a page as EventsResolved, several to a message, and
/// ProfilesMerged for every merge and ProfileRetired for every profile new rules superseded, from the
/// event store (Marten as the outbox).
public sealed class IdentityPublisher(IBus bus, ILogger<IdentityPublisher> logger) : PublishingSubscription(bus, logger)
{
    protected override Task<IReadOnlyList<OutgoingMessage>> MessagesForAsync(IReadOnlyList<IEvent> events, IDocumentOperations operations, CancellationToken ct)
    {
        var messages = new List<OutgoingMessage>();
        var resolved = new List<(IEvent, EventResolved)>();
        foreach (var e in events)
        {
            switch (e.Data)
            {
                case EventAttributed a:
                    resolved.Add((e, new EventResolved(a.ProfileId, a.Event, a.Identifiers, a.Dropped, TraceParent: TraceParentOf(e))));
                    break;
                case EventReattributed r:
                    resolved.Add((e, new EventResolved(r.ProfileId, r.Event, r.Identifiers, r.Dropped, r.RunId, TraceParentOf(e))));
                    break;
                case ProfileMergedFrom m:
                    messages.Add(new OutgoingMessage(e.Id, new ProfilesMerged(m.ProfileId, m.MergedId, m.Evidence.MessageId, m.Evidence.MergedSide, m.At), TraceParentOf(e)));
                    break;
                case ProfileSuperseded s:
                    messages.Add(new OutgoingMessage(e.Id, new ProfileRetired(s.ProfileId, s.SucceededBy, s.RunId, s.At), TraceParentOf(e)));
                    break;
            }
        }
        messages.AddRange(Batched(resolved, batch => new EventsResolved(batch)));
        return Task.FromResult<IReadOnlyList<OutgoingMessage>>(messages);
    }
}

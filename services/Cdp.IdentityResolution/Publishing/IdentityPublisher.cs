using Cdp.Contracts.Identity;
using Cdp.IdentityResolution.Identities;
using Cdp.ServiceDefaults.Persistence;
using JasperFx.Events;
using Marten;
using MassTransit;

namespace Cdp.IdentityResolution.Publishing;

/// Publishes EventResolved for every attributed event, from the event store (Marten as the outbox).
public sealed class IdentityPublisher(IBus bus, ILogger<IdentityPublisher> logger) : PublishingSubscription(bus, logger)
{
    protected override Task<IReadOnlyList<OutgoingMessage>> MessagesForAsync(IReadOnlyList<IEvent> events, IDocumentOperations operations, CancellationToken ct)
    {
        var messages = new List<OutgoingMessage>();
        foreach (var e in events)
        {
            if (e.Data is EventAttributed a)
            {
                messages.Add(new OutgoingMessage(e.Id, new EventResolved(a.ProfileId, a.Event, a.Identifiers, a.Dropped), TraceParentOf(e)));
            }
        }
        return Task.FromResult<IReadOnlyList<OutgoingMessage>>(messages);
    }
}

using MassTransit;

namespace Cdp.ServiceDefaults.Messaging;

/// <summary>Where a consumed message stood in its queue.</summary>
public static class MessageOrder
{
    /// <summary>
    /// The broker's delivery sequence number (RabbitMQ's delivery tag): messages consumed concurrently can be put
    /// back in their queue's order with it. 0 when the transport gives none.
    /// </summary>
    public static ulong DeliveryOrder(this ConsumeContext context) =>
        context.ReceiveContext.TryGetPayload<ITransportSequenceNumber>(out var sequence) ? sequence.SequenceNumber ?? 0 : 0;
}

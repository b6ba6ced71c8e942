using MassTransit;

namespace Cdp.ServiceDefaults.Messaging;

/// <summary>
/// Keeps in a consumer's exceptions only the <c>Data</c> values that are text or numbers. MassTransit copies an
/// exception's <c>Data</c> into the <c>Fault&lt;T&gt;</c> it publishes; Marten puts the failed <c>NpgsqlBatch</c> there,
/// which holds every statement's values (customers' traits) and cannot be serialized, so no fault was published for a
/// database failure, and the message went to its _error queue with "Failed to serialize message" as its reason.
/// </summary>
/// <remarks>
/// It runs around each consumer (<see cref="FaultData.Observer"/>), inside the filter that publishes the fault: a
/// failure no retry mends is published there at once, before an endpoint's filters see the exception.
/// </remarks>
public sealed class FaultDataFilter<TConsumer> : IFilter<ConsumerConsumeContext<TConsumer>> where TConsumer : class
{
    /// <inheritdoc />
    public async Task Send(ConsumerConsumeContext<TConsumer> context, IPipe<ConsumerConsumeContext<TConsumer>> next)
    {
        try
        {
            await next.Send(context);
        }
        catch (Exception e)
        {
            FaultData.Scrub(e);
            throw;
        }
    }

    /// <inheritdoc />
    public void Probe(ProbeContext context) => context.CreateFilterScope("faultData");
}

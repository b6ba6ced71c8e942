using System.Collections;
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

/// <summary>Drops exception data a fault cannot carry; see <see cref="FaultDataFilter{TConsumer}"/>.</summary>
public static class FaultData
{
    /// <summary>Puts a <see cref="FaultDataFilter{TConsumer}"/> around every consumer configured on the bus.</summary>
    public sealed class Observer : IConsumerConfigurationObserver
    {
        /// <inheritdoc />
        public void ConsumerConfigured<TConsumer>(IConsumerConfigurator<TConsumer> configurator) where TConsumer : class =>
            configurator.UseFilter(new FaultDataFilter<TConsumer>());

        /// <inheritdoc />
        public void ConsumerMessageConfigured<TConsumer, TMessage>(IConsumerMessageConfigurator<TConsumer, TMessage> configurator)
            where TConsumer : class where TMessage : class
        {
        }
    }

    /// <summary>Removes, from <paramref name="e"/> and the exceptions inside it, data values other than text and numbers.</summary>
    public static void Scrub(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions) Scrub(inner);
            }
            var dropped = e.Data.Cast<DictionaryEntry>().Where(d => d.Value is not (null or string or ValueType)).Select(d => d.Key).ToList();
            foreach (var key in dropped) e.Data.Remove(key);
        }
    }
}

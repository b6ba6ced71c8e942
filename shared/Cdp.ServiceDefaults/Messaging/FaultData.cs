using System.Collections;
using MassTransit;

namespace Cdp.ServiceDefaults.Messaging;

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

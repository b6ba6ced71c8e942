using Cdp.Contracts.Collector;
using Cdp.ServiceDefaults.Messaging;
using MassTransit;
using Polly;
using Polly.Timeout;

namespace Cdp.Collector.Ingestion;

/// Publishes accepted events, several to a message (EventsCollected, MessageBatches), and waits for RabbitMQ's
/// confirms, all of a request in flight at once.
public sealed class EventPublisher(IBus bus, IConfiguration configuration)
{
    public sealed class UnavailableException(Exception inner) : Exception("RabbitMQ did not confirm the events", inner);

    private readonly ResiliencePipeline _pipeline = new ResiliencePipelineBuilder()
        .AddTimeout(configuration.GetValue("Cdp:Collector:PublishTimeout", TimeSpan.FromSeconds(10)))
        .Build();

    public async Task PublishAsync(IReadOnlyList<EventCollected> events, CancellationToken ct)
    {
        try
        {
            await _pipeline.ExecuteAsync(async token =>
                await Task.WhenAll(MessageBatches.Split(events, e => e).Select(batch => bus.Publish(new EventsCollected(batch), token))), ct);
        }
        catch (Exception e) when (e is TimeoutRejectedException or RabbitMqConnectionException or MassTransitException
                                      || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            throw new UnavailableException(e);
        }
    }
}

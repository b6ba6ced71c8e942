using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Cdp.ServiceDefaults.Messaging;

/// <summary>MassTransit on RabbitMQ, configured the same way in every service.</summary>
public static class MessagingExtensions
{
    /// <summary>
    /// Adds MassTransit on the RabbitMQ broker named by <c>ConnectionStrings:RabbitMq</c> (an amqp:// URI).
    /// Receive endpoints are quorum queues named <c>{queuePrefix}-{message}</c> in kebab case,
    /// and retry transient database failures before a message goes to its error queue.
    /// </summary>
    public static WebApplicationBuilder AddCdpMessaging(this WebApplicationBuilder builder, string queuePrefix,
        Action<IBusRegistrationConfigurator>? configure = null)
    {
        var uri = builder.Configuration.GetConnectionString("RabbitMq")
            ?? throw new InvalidOperationException("ConnectionStrings:RabbitMq is not set. Set it (or ConnectionStrings__RabbitMq) to an amqp:// URI, e.g. amqp://guest:guest@localhost:5672/.");
        builder.Services.AddMassTransit(x =>
        {
            x.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter(queuePrefix, false));
            configure?.Invoke(x);
            x.AddConfigureEndpointsCallback((_, _, endpoint) =>
            {
                if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
                {
                    rabbit.SetQuorumQueue();
                }
                // Lost optimistic-concurrency races and a database that is away are retried here; data errors
                // and bugs are not (they would fail every time) and land in the endpoint's _error queue with their reason.
                endpoint.UseMessageRetry(RetryTransientFailures);
            });
            x.UsingRabbitMq((context, cfg) =>
            {
                cfg.Host(new Uri(uri), h => h.ConnectionName(queuePrefix));
                cfg.ConnectConsumerConfigurationObserver(new FaultData.Observer());
                // MassTransit indents its JSON by default: messages holding MessageBatches.MaxBytes of entries went out at
                // 78-88 KB, over the 64 KB messages are kept under, and each landed on the large object heap twice.
                cfg.ConfigureJsonSerializerOptions(options =>
                {
                    options.WriteIndented = false;
                    return options;
                });
                cfg.ConfigureEndpoints(context);
            });
        });
        builder.Services.Configure<MassTransitHostOptions>(o =>
        {
            o.WaitUntilStarted = false;
            o.StartTimeout = TimeSpan.FromSeconds(60);
            o.StopTimeout = TimeSpan.FromSeconds(25);
        });
        return builder;
    }

    /// <summary>Runs a message again, with backoff, while it fails for a reason that running again may cure.</summary>
    public static void RetryTransientFailures(IRetryConfigurator retry)
    {
        retry.Exponential(30, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200));
        retry.Handle<Exception>(Persistence.Transience.IsTransient);
    }

    /// <summary>
    /// Adds the <see cref="GroupCommit{TEntry}"/> that hands groups of entries to <paramref name="handler"/>, held while
    /// the service's <see cref="Maintenance.MaintenancePause"/> (if it has one) is paused.
    /// </summary>
    public static IServiceCollection AddGroupCommit<TEntry>(this IServiceCollection services,
        Func<IServiceProvider, Func<IReadOnlyList<TEntry>, CancellationToken, Task>> handler, int maxEntries, int concurrency,
        TimeSpan pace = default) =>
        services.AddSingleton(sp => new GroupCommit<TEntry>(handler(sp), maxEntries, concurrency,
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<GroupCommit<TEntry>>>(), sp.GetService<Maintenance.MaintenancePause>(), pace));

    /// <summary>
    /// Adds a consumer that hands its messages' entries to a <see cref="GroupCommit{TEntry}"/>: up to
    /// <paramref name="concurrentMessageLimit"/> messages are consumed at once, so that many can wait for the next
    /// group while one is handled, and the queue's prefetch keeps as many again at hand.
    /// </summary>
    public static void AddGroupedConsumer<TConsumer>(this IBusRegistrationConfigurator bus, int concurrentMessageLimit)
        where TConsumer : class, IConsumer =>
        bus.AddConsumer<TConsumer>().Endpoint(e =>
        {
            e.ConcurrentMessageLimit = concurrentMessageLimit;
            e.PrefetchCount = concurrentMessageLimit * 2;
        });
}

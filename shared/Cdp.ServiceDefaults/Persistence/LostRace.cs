using JasperFx;
using Polly;
using Polly.Retry;

namespace Cdp.ServiceDefaults.Persistence;

/// <summary>Optimistic concurrency: another writer changed the same stream or claimed the same key first.</summary>
public static class LostRace
{
    /// <summary>Whether <paramref name="e"/> says another writer got there first, so running again on fresh state is the fix.</summary>
    public static bool Is(Exception e) => e switch
    {
        ConcurrencyException or DocumentAlreadyExistsException or Marten.Exceptions.ExistingStreamIdCollisionException => true,
        // A unique key taken first, or (MT003, before Marten wraps it) a stream found at another version by Marten's append function.
        Npgsql.PostgresException { SqlState: "23505" or "MT003" } => true,
        AggregateException a => a.InnerExceptions.All(Is),
        // Wrappers (MartenCommandException around a unique violation, ...) lose the race their cause lost.
        { InnerException: { } inner } => Is(inner),
        _ => false,
    };

    /// <summary>Runs the work again, with jittered backoff, as long as it loses races (up to 20 times).</summary>
    public static ResiliencePipeline RetryPipeline(Action? onRetry = null) => new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = 20,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(20),
            MaxDelay = TimeSpan.FromSeconds(1),
            ShouldHandle = new PredicateBuilder().Handle<Exception>(Is),
            OnRetry = _ =>
            {
                onRetry?.Invoke();
                return ValueTask.CompletedTask;
            },
        })
        .Build();
}

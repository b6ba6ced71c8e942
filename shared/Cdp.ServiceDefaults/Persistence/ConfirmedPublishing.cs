using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Cdp.ServiceDefaults.Persistence;

/// <summary>
/// How a subscription publishes a page: every attempt waits at most <see cref="ConfirmTimeout"/> for the broker's
/// confirms (a publish can hang across a broker restart), and failed attempts are retried with backoff until they
/// succeed, because the page's progress must not be committed before everything in it was confirmed.
/// </summary>
public sealed class ConfirmedPublishing(ILogger logger, string what)
{
    /// <summary>The longest wait for the broker to confirm one attempt.</summary>
    public static readonly TimeSpan ConfirmTimeout = TimeSpan.FromSeconds(15);

    private readonly ResiliencePipeline _retry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(200),
            MaxDelay = TimeSpan.FromSeconds(5),
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException || e is TimeoutException),
            OnRetry = a =>
            {
                logger.LogWarning(a.Outcome.Exception, "Publishing from {Subscription} failed (attempt {Attempt}); retrying", what, a.AttemptNumber + 1);
                return ValueTask.CompletedTask;
            },
        })
        .Build();

    /// <summary>Runs <paramref name="publish"/> until one attempt completes within the confirm timeout.</summary>
    public async Task RunAsync(Func<CancellationToken, Task> publish, CancellationToken ct) =>
        await _retry.ExecuteAsync(async token =>
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(ConfirmTimeout);
            try
            {
                await publish(timeout.Token);
            }
            catch (OperationCanceledException) when (!token.IsCancellationRequested)
            {
                throw new TimeoutException($"RabbitMQ did not confirm what {what} published within {ConfirmTimeout.TotalSeconds} s");
            }
        }, ct);
}

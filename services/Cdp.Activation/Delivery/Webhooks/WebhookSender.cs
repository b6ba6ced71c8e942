using System.Net;
using System.Text;
using Cdp.Activation.Delivery.Subscriptions;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
using Polly.Retry;
using Polly.Timeout;

namespace Cdp.Activation.Delivery.Webhooks;

/// Posts a signed delivery, retrying with exponential backoff and jitter behind a circuit breaker per
/// destination (subscription), so one failing endpoint costs little and the others are not slowed.
public sealed class WebhookSender(IHttpClientFactory http, IOptions<ActivationOptions> options, TimeProvider clock)
{
    public const string HttpClientName = "webhooks";

    public sealed record Outcome(bool Delivered, int Attempts, string? Failure);

    private readonly ResiliencePipelineRegistry<string> _pipelines = new();

    public async Task<Outcome> SendAsync(AudienceSubscription subscription, WebhookDeliveryRequested delivery, CancellationToken ct)
    {
        var attempts = 0;
        string? lastFailure = null;
        var pipeline = _pipelines.GetOrAddPipeline<HttpResponseMessage>(subscription.Id, Build);
        try
        {
            using var response = await pipeline.ExecuteAsync(async token =>
            {
                Interlocked.Increment(ref attempts);
                using var request = new HttpRequestMessage(HttpMethod.Post, subscription.Url)
                {
                    Content = new StringContent(delivery.Body, Encoding.UTF8, "application/json"),
                };
                request.Headers.Add(WebhookSignature.Header, WebhookSignature.Sign(subscription.Secret ?? "", clock.GetUtcNow().ToUnixTimeSeconds(), delivery.Body));
                request.Headers.Add("X-Cdp-Delivery-Id", delivery.ChangeId);
                try
                {
                    var answer = await http.CreateClient(HttpClientName).SendAsync(request, token);
                    if (!answer.IsSuccessStatusCode) lastFailure = $"{subscription.Url} answered HTTP {(int)answer.StatusCode}";
                    return answer;
                }
                catch (HttpRequestException e)
                {
                    lastFailure = e.Message;
                    throw;
                }
            }, ct);
            return response.IsSuccessStatusCode
                ? new(true, attempts, null)
                : new(false, attempts, $"{subscription.Url} answered HTTP {(int)response.StatusCode}");
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException or BrokenCircuitException
                                      || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return new(false, attempts, e is BrokenCircuitException && lastFailure is not null
                ? $"{lastFailure}; then the destination's circuit opened ({e.Message})"
                : e.Message);
        }
    }

    /// What counts as a failed attempt: no answer, a timeout, or a 5xx, 408 or 429 (other 4xx answers are final).
    private static PredicateBuilder<HttpResponseMessage> Failures() => new PredicateBuilder<HttpResponseMessage>()
        .Handle<HttpRequestException>()
        .Handle<TimeoutRejectedException>()
        .HandleResult(r => (int)r.StatusCode >= 500 || r.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests);

    private void Build(ResiliencePipelineBuilder<HttpResponseMessage> builder)
    {
        var o = options.Value.Webhooks;
        builder
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = Math.Max(0, o.MaxAttempts - 1),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = o.FirstRetryDelay,
                MaxDelay = o.MaxRetryDelay,
                ShouldHandle = Failures().Handle<BrokenCircuitException>(),
                OnRetry = a =>
                {
                    a.Outcome.Result?.Dispose();
                    return ValueTask.CompletedTask;
                },
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
            {
                FailureRatio = 0.5,
                MinimumThroughput = 4,
                SamplingDuration = TimeSpan.FromSeconds(30),
                BreakDuration = o.BreakDuration,
                ShouldHandle = Failures(),
            })
            .AddTimeout(o.AttemptTimeout);
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Polly;
using Polly.Retry;

namespace Cdp.Ops.Import;

/// Sends identify calls to the Collector's /v1/batch with a source's write key, so they pass the same validation
/// as any event. A refused batch names the bad events by index: those are rejected and the rest sent again.
/// 429 and 503 are retried after the Retry-After the Collector gives.
public sealed class CollectorBatches(HttpClient client)
{
    public sealed record Outcome(int Accepted, IReadOnlyList<(int Index, string Reason)> Rejected);

    private readonly ResiliencePipeline<HttpResponseMessage> _retry = new ResiliencePipelineBuilder<HttpResponseMessage>()
        .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
        {
            MaxRetryAttempts = 30,
            BackoffType = DelayBackoffType.Exponential,
            Delay = TimeSpan.FromMilliseconds(500),
            MaxDelay = TimeSpan.FromSeconds(30),
            UseJitter = true,
            ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                .Handle<HttpRequestException>()
                .Handle<TaskCanceledException>(e => e.InnerException is TimeoutException)
                .HandleResult(r => r.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable or HttpStatusCode.BadGateway),
            DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result?.Headers.RetryAfter?.Delta is { } wait ? wait : (TimeSpan?)null),
        })
        .Build();

    public static HttpClient ClientFor(Uri collector, string writeKey)
    {
        var client = new HttpClient { BaseAddress = collector, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));
        return client;
    }

    public async Task<Outcome> SendAsync(IReadOnlyList<JsonObject> calls, CancellationToken ct)
    {
        var rejected = new List<(int Index, string Reason)>();
        var accepted = await SendAsync(calls, Enumerable.Range(0, calls.Count).ToList(), rejected, ct);
        return new Outcome(accepted, rejected);
    }

    private async Task<int> SendAsync(IReadOnlyList<JsonObject> calls, List<int> pending, List<(int Index, string Reason)> rejected, CancellationToken ct)
    {
        while (pending.Count > 0)
        {
            var body = new JsonObject { ["batch"] = new JsonArray([.. pending.Select(i => calls[i].DeepClone())]) }.ToJsonString();
            using var response = await _retry.ExecuteAsync(async token =>
                await client.PostAsync("/v1/batch", new StringContent(body, Encoding.UTF8, "application/json"), token), ct);
            if (response.IsSuccessStatusCode) return pending.Count;
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                throw new UsageException("the Collector refused the source's write key. Fix: check --source, and that the source is enabled.");
            }
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
            var detail = problem.TryGetProperty("detail", out var d) ? d.GetString() : $"HTTP {(int)response.StatusCode}";
            if (response.StatusCode == HttpStatusCode.BadRequest && problem.TryGetProperty("errors", out var errors) && errors.GetArrayLength() > 0)
            {
                var bad = errors.EnumerateArray()
                    .Where(e => e.TryGetProperty("index", out var i) && i.ValueKind == JsonValueKind.Number)
                    .GroupBy(e => e.GetProperty("index").GetInt32())
                    .ToDictionary(g => g.Key, g => string.Join("; ", g.Select(e => $"{e.GetProperty("field").GetString()}: {e.GetProperty("reason").GetString()}")));
                if (!bad.Keys.Any(i => i >= 0 && i < pending.Count))
                {
                    throw new InvalidOperationException($"the Collector refused a batch without naming one of its events: {detail}");
                }
                rejected.AddRange(bad.Where(b => b.Key < pending.Count).Select(b => (pending[b.Key], b.Value)));
                pending = [.. pending.Where((_, position) => !bad.ContainsKey(position))];
                continue;
            }
            if (response.StatusCode == HttpStatusCode.RequestEntityTooLarge)
            {
                // One event over Segment's 32 KB refuses its whole batch: halve until it stands alone.
                if (pending.Count == 1)
                {
                    rejected.Add((pending[0], $"too large for the Collector: {detail}"));
                    return 0;
                }
                var half = pending.Count / 2;
                return await SendAsync(calls, pending[..half], rejected, ct) + await SendAsync(calls, pending[half..], rejected, ct);
            }
            throw new InvalidOperationException($"the Collector answered {(int)response.StatusCode}: {detail}");
        }
        return 0;
    }
}

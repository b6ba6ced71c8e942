using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace Cdp.Ops.Status;

/// Reads the platform's state from where it lives: the services' health endpoints, the broker's management API,
/// and each service's event store.
public static class StatusProbes
{
    private static readonly string[] Schemas = ["identity", "profiles", "activation"];

    public static async Task<StatusReport> ReadAsync(OpsSettings settings, CancellationToken ct)
    {
        var problems = new List<string>();
        var services = await Task.WhenAll(new (string Name, Uri Url, bool Rebuilds)[]
        {
            ("Collector", settings.Collector, false), ("IdentityResolution", settings.Identity, false),
            ("ProfileProjection", settings.Profiles, true), ("Activation", settings.Activation, true),
        }.Select(s => ServiceAsync(settings, s.Name, s.Url, s.Rebuilds, ct)));
        problems.AddRange(services.Where(s => !s.Ready).Select(s => $"{s.Name} is not ready: {s.Detail}"));

        IReadOnlyList<QueueState> queues = [];
        try
        {
            queues = await QueuesAsync(settings, ct);
            problems.AddRange(queues.Where(q => q.Name.EndsWith("_error", StringComparison.Ordinal) && q.Messages > 0)
                .Select(q => $"{q.Name} holds {q.Messages} failed message(s): fix the cause, then move them back to {q.Name[..^"_error".Length]}"));
            problems.AddRange(queues.Where(q => !q.Name.EndsWith("_error", StringComparison.Ordinal) && !q.Name.EndsWith("_skipped", StringComparison.Ordinal)
                                                && q.Consumers == 0 && q.Messages > 0)
                .Select(q => $"{q.Name} has {q.Messages} message(s) and no consumer"));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            problems.Add($"RabbitMQ management API at {settings.Management.GetLeftPart(UriPartial.Authority)} did not answer: {e.Message}");
        }

        IReadOnlyList<SubscriptionLag> subscriptions = [];
        try
        {
            subscriptions = await SubscriptionsAsync(settings, ct);
        }
        catch (NpgsqlException e)
        {
            problems.Add($"PostgreSQL did not answer: {e.Message}");
        }
        return new StatusReport(services, queues, subscriptions, problems);
    }

    private static async Task<ServiceHealth> ServiceAsync(OpsSettings settings, string name, Uri url, bool rebuilds, CancellationToken ct)
    {
        using var client = settings.AdminClient(url);
        client.Timeout = TimeSpan.FromSeconds(3);
        try
        {
            using var response = await client.GetAsync("/health/ready", ct);
            string? detail = null;
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
                detail = body.TryGetProperty("checks", out var checks)
                    ? string.Join("; ", checks.EnumerateObject().Where(c => c.Value.GetProperty("status").GetString() != "Healthy")
                        .Select(c => $"{c.Name}: {c.Value.GetProperty("description").GetString()}"))
                    : $"HTTP {(int)response.StatusCode}";
            }
            string? rebuild = null;
            if (rebuilds)
            {
                using var status = await client.GetAsync("/v1/admin/rebuild", ct);
                if (status.IsSuccessStatusCode)
                {
                    var body = await status.Content.ReadFromJsonAsync<JsonElement>(ct);
                    rebuild = body.GetProperty("state").GetString();
                }
            }
            return new ServiceHealth(name, url.ToString(), response.IsSuccessStatusCode, detail, rebuild);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException)
        {
            return new ServiceHealth(name, url.ToString(), false, $"no answer at {url} ({e.Message})", null);
        }
    }

    private static async Task<IReadOnlyList<QueueState>> QueuesAsync(OpsSettings settings, CancellationToken ct)
    {
        using var client = settings.ManagementClient();
        var queues = await client.GetFromJsonAsync<JsonElement>($"/api/queues/{Uri.EscapeDataString(settings.VirtualHost)}", ct);
        return [.. queues.EnumerateArray().Select(q => new QueueState(
            q.GetProperty("name").GetString()!,
            Long(q, "messages"), Long(q, "messages_ready"), Long(q, "messages_unacknowledged"),
            (int)Long(q, "consumers"),
            Rate(q, "publish_details"), Rate(q, "ack_details")))
            .OrderBy(q => q.Name, StringComparer.Ordinal)];
    }

    private static long Long(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : 0;

    private static double Rate(JsonElement q, string details) =>
        q.TryGetProperty("message_stats", out var stats) && stats.TryGetProperty(details, out var d) && d.TryGetProperty("rate", out var r)
            ? Math.Round(r.GetDouble(), 1)
            : 0;

    private static async Task<IReadOnlyList<SubscriptionLag>> SubscriptionsAsync(OpsSettings settings, CancellationToken ct)
    {
        await using var db = NpgsqlDataSource.Create(settings.Postgres);
        var lags = new List<SubscriptionLag>();
        foreach (var schema in Schemas)
        {
            await using var exists = db.CreateCommand("select to_regclass($1) is not null and to_regclass($2) is not null");
            exists.Parameters.Add(new NpgsqlParameter { Value = $"{schema}.mt_events" });
            exists.Parameters.Add(new NpgsqlParameter { Value = $"{schema}.mt_event_progression" });
            if (await exists.ExecuteScalarAsync(ct) is not true) continue;
            await using var command = db.CreateCommand($"""
                select p.name, p.last_seq_id, (select coalesce(max(seq_id), 0) from {schema}.mt_events)
                from {schema}.mt_event_progression p where p.name like '%:All' order by p.name
                """);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var (position, head) = (reader.GetInt64(1), reader.GetInt64(2));
                lags.Add(new SubscriptionLag(schema, reader.GetString(0)[..^":All".Length], position, head, Math.Max(0, head - position)));
            }
        }
        return lags;
    }
}

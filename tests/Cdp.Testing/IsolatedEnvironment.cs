using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text;
using Npgsql;

namespace Cdp.Testing;

/// <summary>
/// A database and a RabbitMQ virtual host of a test fixture's own, so fixtures run in parallel and
/// repeat without seeing each other's data. Dropped on dispose.
/// </summary>
public sealed class IsolatedEnvironment : IAsyncDisposable
{
    private readonly TestServers _servers;
    private readonly HttpClient _management;

    private IsolatedEnvironment(TestServers servers, string name)
    {
        _servers = servers;
        Name = name;
        _management = new HttpClient { BaseAddress = new Uri(servers.RabbitMqManagement.GetLeftPart(UriPartial.Authority)) };
        var userInfo = Uri.UnescapeDataString(servers.RabbitMqManagement.UserInfo);
        _management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(userInfo)));
    }

    public string Name { get; }

    public string Postgres => new NpgsqlConnectionStringBuilder(_servers.Postgres) { Database = Name, MaxPoolSize = 40 }.ConnectionString;

    public Uri RabbitMq => new UriBuilder(_servers.RabbitMq) { Path = "/" + Name }.Uri;

    /// <summary>The broker's management API, with its credentials in the URL.</summary>
    public Uri RabbitMqManagement => _servers.RabbitMqManagement;

    public static async Task<IsolatedEnvironment> CreateAsync(string purpose)
    {
        var servers = await TestServers.GetAsync();
        var name = $"cdp_test_{purpose.ToLowerInvariant()}_{Guid.NewGuid():N}";
        var env = new IsolatedEnvironment(servers, name.Length > 60 ? name[..60] : name);
        await using (var connection = new NpgsqlConnection(servers.Postgres))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{env.Name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }
        var user = Uri.UnescapeDataString(servers.RabbitMq.UserInfo.Split(':')[0]);
        (await env._management.PutAsync($"/api/vhosts/{env.Name}", null)).EnsureSuccessStatusCode();
        (await env._management.PutAsync($"/api/permissions/{env.Name}/{user}",
            new StringContent("""{"configure":".*","write":".*","read":".*"}""", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        return env;
    }

    /// <summary>Settings a service under test needs to use this environment.</summary>
    public Dictionary<string, string?> ServiceSettings() => new()
    {
        ["ConnectionStrings:Postgres"] = Postgres,
        ["ConnectionStrings:RabbitMq"] = RabbitMq.ToString(),
    };

    /// <summary>
    /// Waits until no queue of this virtual host holds a message, ready or unacknowledged, and every service's publisher
    /// has published its store's last event, on three samples in a row: every message in flight has been handled, and
    /// none is still waiting in a store (Marten is the outbox) with every queue empty.
    /// </summary>
    public async Task WaitForQuietQueuesAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        var quiet = 0;
        var why = "";
        while (quiet < 3)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{Name} did not go quiet: {why}.");
            await Task.Delay(1000);
            List<string> busy;
            try
            {
                busy = [.. await HoldingMessagesAsync(), .. await PublishersBehindAsync()];
            }
            catch (NpgsqlException e)
            {
                // A test that restarts PostgreSQL waits here too: a pooled connection it closed fails once (57P01).
                busy = [$"PostgreSQL did not answer ({e.Message})"];
            }
            why = string.Join(", ", busy);
            quiet = busy.Count > 0 ? 0 : quiet + 1;
        }
    }

    /// The stores (schemas) of this database whose daemon runs a publisher that has not yet published the store's last event.
    private async Task<List<string>> PublishersBehindAsync()
    {
        await using var connection = new NpgsqlConnection(Postgres);
        await connection.OpenAsync();
        var schemas = new List<string>();
        await using (var find = new NpgsqlCommand("select table_schema from information_schema.tables where table_name = 'mt_event_progression'", connection))
        await using (var reader = await find.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) schemas.Add(reader.GetString(0));
        }
        var behind = new List<string>();
        foreach (var schema in schemas)
        {
            // A store with no daemon (no high-water mark: a test's own store) publishes nothing. A publisher that has
            // not recorded any progress yet is behind as soon as its store holds an event.
            await using var query = new NpgsqlCommand($"""
                select (select max(seq_id) from "{schema}".mt_events),
                       (select min(last_seq_id) from "{schema}".mt_event_progression where name like '%-publisher:All')
                where exists (select 1 from "{schema}".mt_event_progression where name = 'HighWaterMark')
                """, connection);
            await using var reader = await query.ExecuteReaderAsync();
            if (!await reader.ReadAsync() || reader.IsDBNull(0)) continue;
            var last = reader.GetInt64(0);
            var published = reader.IsDBNull(1) ? 0 : reader.GetInt64(1);
            if (published < last) behind.Add($"{schema}'s publisher at event {published} of {last}");
        }
        return behind;
    }

    /// <summary>A queue of this virtual host: messages in it (ready plus unacknowledged), delivered from it so far, and
    /// the consumers it has now.</summary>
    public sealed record QueueStats(string Name, long Messages, long Delivered, long Consumers);

    /// <summary>Every queue of this virtual host, from the management API (statistics it samples every few seconds).</summary>
    public async Task<IReadOnlyList<QueueStats>> QueuesAsync(CancellationToken ct = default)
    {
        var queues = await _management.GetFromJsonAsync<List<JsonElement>>($"/api/queues/{Name}?columns=name,messages,message_stats,consumers", ct);
        return [.. queues!.Select(q => new QueueStats(q.GetProperty("name").GetString()!,
            q.TryGetProperty("messages", out var m) ? m.GetInt64() : 0,
            q.TryGetProperty("message_stats", out var s) && s.TryGetProperty("deliver_get", out var d) ? d.GetInt64() : 0,
            q.TryGetProperty("consumers", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetInt64() : 0))];
    }

    /// <summary>
    /// For a failure message: the queues that still hold messages, with their consumers. A message in a queue with no
    /// consumer was never taken; one with a consumer is waiting or being handled.
    /// </summary>
    public async Task<string> QueuesHoldingMessagesAsync()
    {
        try
        {
            var holding = await HoldingMessagesAsync();
            return $"--- queues holding messages: {(holding.Count == 0 ? "none" : string.Join(", ", holding))}";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return $"--- queues: the management API did not answer ({e.Message})";
        }
    }

    private async Task<List<string>> HoldingMessagesAsync() =>
        [.. (await QueuesAsync()).Where(q => q.Messages > 0).Select(q => $"queue {q.Name} holds {q.Messages} ({q.Consumers} consumers)")];

    /// <summary>Messages in each queue of this virtual host (ready plus unacknowledged), from the management API.</summary>
    public async Task<Dictionary<string, long>> QueueDepthsAsync() => (await QueuesAsync()).ToDictionary(q => q.Name, q => q.Messages);

    /// <summary>
    /// Why the messages in a queue are there, for a test's failure message: for an <c>_error</c> queue the exception
    /// MassTransit recorded (its MT-Fault headers), otherwise the message types. Peeks and requeues; nothing is consumed.
    /// </summary>
    public async Task<string> DescribeMessagesAsync(string queue, int count = 3)
    {
        using var response = await _management.PostAsync($"/api/queues/{Name}/{Uri.EscapeDataString(queue)}/get", new StringContent(
            $$$"""{"count":{{{count}}},"ackmode":"ack_requeue_true","encoding":"auto","truncate":2000}""", Encoding.UTF8, "application/json"));
        if (!response.IsSuccessStatusCode) return $"(could not peek: {(int)response.StatusCode})";
        var messages = await response.Content.ReadFromJsonAsync<List<JsonElement>>() ?? [];
        if (messages.Count == 0) return "none ready: every one is unacknowledged, held by a consumer";
        return string.Join("; ", messages.Select(m =>
        {
            var headers = m.GetProperty("properties").TryGetProperty("headers", out var h) ? h : default;
            string? Header(string name) => headers.ValueKind == JsonValueKind.Object && headers.TryGetProperty(name, out var v) ? v.ToString() : null;
            var type = Header("MT-Fault-ExceptionType");
            return type is null
                ? $"a message of {m.GetProperty("payload_bytes")} bytes, redelivered {m.GetProperty("redelivered")}, delivered before " +
                  $"{Header("x-delivery-count") ?? "0"} times: {Envelope(m.GetProperty("payload").GetString())}"
                : $"{type}: {Header("MT-Fault-Message")}";
        }));
    }

    /// When MassTransit sent a message, and the start of what it carries: enough to tell a redelivery or a second copy.
    /// A payload the peek truncated is no longer JSON; its start is shown as it is.
    private static string Envelope(string? payload)
    {
        static string Start(string text) => text[..Math.Min(text.Length, 160)];
        try
        {
            using var json = JsonDocument.Parse(payload ?? "");
            var sent = json.RootElement.TryGetProperty("sentTime", out var t) ? t.GetString() : "?";
            return $"sent {sent}, {Start(json.RootElement.TryGetProperty("message", out var b) ? b.GetRawText() : "")}";
        }
        catch (JsonException)
        {
            return Start(payload ?? "");
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _management.DeleteAsync($"/api/vhosts/{Name}");
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(_servers.Postgres);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
        catch (Exception e) when (e is NpgsqlException or HttpRequestException)
        {
            // Every name is unique, so a leftover disturbs nothing but disk; `./cdp infra` lets the cdp role end the
            // autovacuum workers a forced drop meets.
        }
        _management.Dispose();
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Cdp.Testing;
using Npgsql;

namespace Cdp.EndToEnd.Tests.Faults;

/// Kills every service mid-batch, and takes PostgreSQL and RabbitMQ away, while a client keeps sending;
/// then checks the promise: every event answered 200 is in the event store exactly once, counters match the
/// stored events, audience membership matches a from-scratch evaluation, and no queue is left holding anything.
/// Restarts the shared PostgreSQL and RabbitMQ, so it runs in `./cdp test`'s separate fault phase.
[Trait("Category", "Faults")]
public sealed class PipelineFaultTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private const int Customers = 40;
    private Platform _platform = null!;

    public async Task InitializeAsync() => _platform = await Platform.StartAsync("faults",
        settings: new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" });

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    /// What is in the customer event store: every event of this run by message id, with its profile stream.
    private async Task<List<(string MessageId, string Stream)>> StoredAsync(string run)
    {
        var stored = new List<(string, string)>();
        await using var connection = new NpgsqlConnection(_platform.Environment.Postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select coalesce(data->'provenance'->>'messageId', data->'Provenance'->>'MessageId'), stream_id from profiles.mt_events " +
            "where coalesce(data->'provenance'->>'messageId', data->'Provenance'->>'MessageId') like @run", connection);
        command.Parameters.AddWithValue("run", run + "-%");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) stored.Add((reader.GetString(0), reader.GetString(1)));
        return stored;
    }

    [Fact]
    public async Task Given_a_client_sending_while_each_part_fails_then_nothing_accepted_is_lost_or_counted_twice()
    {
        using (var admin = _platform.Client("Activation", bearer: "dev-admin-token"))
        {
            (await admin.PostAsJsonAsync("/v1/audiences", JsonDocument.Parse(
                """{"key":"buyers","rule":{"event":"Order Completed","op":"ever"}}""").RootElement)).EnsureSuccessStatusCode();
        }
        var run = Guid.NewGuid().ToString("N")[..6];
        var accepted = new ConcurrentDictionary<string, string>();
        long refused = 0;
        var sending = true;
        var clock = Stopwatch.StartNew();
        var timeline = new ConcurrentQueue<string>();

        async Task SendAsync(int worker)
        {
            using var client = new HttpClient { BaseAddress = _platform.Urls["Collector"], Timeout = TimeSpan.FromSeconds(15) };
            client.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("dev-write-key:")));
            for (var n = 0; Volatile.Read(ref sending); n++)
            {
                var customer = $"c{run}-{(n * 7 + worker) % Customers}";
                var id = $"{run}-{worker}-{n}";
                try
                {
                    using var response = await client.PostAsync("/v1/track", new StringContent(
                        $$$"""{"messageId":"{{{id}}}","userId":"{{{customer}}}","event":"Order Completed","properties":{"revenue":1}}""",
                        Encoding.UTF8, "application/json"));
                    if (response.StatusCode == HttpStatusCode.OK) accepted[id] = customer;
                    else Interlocked.Increment(ref refused);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    Interlocked.Increment(ref refused);
                }
                await Task.Delay(40);
            }
        }

        async Task FaultAsync(string name, Func<Task> breakIt, Func<Task> mendIt, TimeSpan down)
        {
            await Task.Delay(TimeSpan.FromSeconds(3));
            var before = accepted.Count;
            var started = clock.Elapsed;
            await breakIt();
            await Task.Delay(down);
            var mending = Stopwatch.StartNew();
            await mendIt();
            timeline.Enqueue($"{name}: broken at {started.TotalSeconds:N1} s for {down.TotalSeconds:N0} s, back in {mending.Elapsed.TotalSeconds:N1} s; " +
                $"{accepted.Count - before} events accepted meanwhile");
        }

        var clients = Task.WhenAll(Enumerable.Range(0, 2).Select(SendAsync));
        // One round in `./cdp test`; `./cdp soak` sets CDP_FAULT_ROUNDS for a longer run.
        var rounds = int.TryParse(System.Environment.GetEnvironmentVariable("CDP_FAULT_ROUNDS"), out var r) && r > 0 ? r : 1;
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var service in Platform.Services)
            {
                await FaultAsync($"round {round}: SIGKILL {service}", () => _platform.KillAsync(service), () => _platform.RestartAsync(service), TimeSpan.FromSeconds(2));
            }
            await FaultAsync($"round {round}: PostgreSQL stopped", DatabaseControl.StopAsync, DatabaseControl.StartAsync, TimeSpan.FromSeconds(4));
            await FaultAsync($"round {round}: RabbitMQ stopped", BrokerControl.StopAsync, BrokerControl.StartAsync, TimeSpan.FromSeconds(4));
        }
        await Task.Delay(TimeSpan.FromSeconds(3));
        Volatile.Write(ref sending, false);
        await clients;

        // Drained: every accepted event in the store (or 120 s gone by), then no queue holding anything.
        var draining = Stopwatch.StartNew();
        List<(string MessageId, string Stream)> stored;
        while (true)
        {
            stored = await StoredAsync(run);
            var missing = accepted.Keys.Except(stored.Select(x => x.MessageId)).Count();
            if (missing == 0 || draining.Elapsed > TimeSpan.FromSeconds(120)) break;
            await Task.Delay(1000);
        }
        var drained = draining.Elapsed;
        await _platform.Environment.WaitForQuietQueuesAsync(TimeSpan.FromSeconds(60));
        await Task.Delay(1000);
        stored = await StoredAsync(run);
        var duplicates = stored.GroupBy(s => s.MessageId).Count(g => g.Count() > 1);
        var lost = accepted.Keys.Except(stored.Select(s => s.MessageId)).ToList();

        // Counters and audience membership against the store.
        using var reader2 = _platform.Client("ProfileProjection", bearer: "dev-read-token");
        using var activation = _platform.Client("Activation", bearer: "dev-read-token");
        var members = (await activation.GetFromJsonAsync<JsonElement>("/v1/audiences/buyers/members?limit=1000"))
            .GetProperty("members").EnumerateArray().Select(m => m.GetProperty("profileId").GetString()!).ToHashSet();
        var counterMismatches = new List<string>();
        var buyers = new HashSet<string>();
        foreach (var customer in Enumerable.Range(0, Customers).Select(i => $"c{run}-{i}"))
        {
            using var response = await reader2.GetAsync($"/v1/profiles?identifier=user_id:{customer}");
            if (response.StatusCode == HttpStatusCode.NotFound) continue;
            var profile = await response.Content.ReadFromJsonAsync<JsonElement>();
            var id = profile.GetProperty("id").GetString()!;
            buyers.Add(id);
            // Each customer has one user id, so one profile and one stream: nothing here merges.
            var storedForProfile = stored.Where(s => s.Stream == id).Select(s => s.MessageId).Distinct().Count();
            var counted = profile.GetProperty("activity").GetProperty("events").GetProperty("Order Completed").GetProperty("count").GetInt64();
            if (counted != storedForProfile) counterMismatches.Add($"{customer}: counted {counted}, stored {storedForProfile}");
        }
        var queues = await _platform.Environment.QueueDepthsAsync();

        foreach (var line in timeline) output.WriteLine(line);
        output.WriteLine($"sent {accepted.Count + refused}, accepted (200) {accepted.Count}, refused or failed {refused}, " +
            $"stored {stored.Select(s => s.MessageId).Distinct().Count()}, lost {lost.Count}, duplicated {duplicates}, " +
            $"counter mismatches {counterMismatches.Count}, audience members {members.Count} of {buyers.Count} buyers, drained in {drained.TotalSeconds:N1} s");

        Assert.True(accepted.Count > 200 * rounds, $"only {accepted.Count} events were accepted");
        Assert.Empty(lost);
        Assert.Equal(0, duplicates);
        Assert.Empty(counterMismatches);
        Assert.Equal(buyers.OrderBy(b => b), members.OrderBy(m => m));
        Assert.All(queues, q => Assert.Equal(0, q.Value));
    }
}

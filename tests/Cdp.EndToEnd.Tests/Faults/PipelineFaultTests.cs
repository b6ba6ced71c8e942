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
        settings: new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" }, report: output.WriteLine);

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    /// The promise, checked against the store and the APIs once everything accepted so far has arrived (up to 120 s):
    /// each accepted event stored exactly once, counters equal to the stored events, audience members equal to a
    /// from-scratch evaluation (every customer with an order), no queue holding a message. Returns the problems and how
    /// long the pipeline took to take in everything accepted.
    private async Task<(List<string> Problems, TimeSpan Recovered)> CheckAsync(string run, ConcurrentDictionary<string, string> accepted)
    {
        var problems = new List<string>();
        var waiting = Stopwatch.StartNew();
        var expected = accepted.Keys.ToHashSet();
        List<(string MessageId, string Stream)> stored;
        while (true)
        {
            stored = await StoredAsync(run);
            if (!expected.Except(stored.Select(x => x.MessageId)).Any() || waiting.Elapsed > TimeSpan.FromSeconds(120)) break;
            await Task.Delay(250);
        }
        var recovered = waiting.Elapsed;
        try
        {
            await _platform.Environment.WaitForQuietQueuesAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            // Reported below with what the queues hold.
        }
        stored = await StoredAsync(run);
        var lost = expected.Except(stored.Select(x => x.MessageId)).Count();
        if (lost > 0) problems.Add($"{lost} accepted events not in the store");
        var duplicated = stored.GroupBy(x => x.MessageId).Count(g => g.Count() > 1);
        if (duplicated > 0) problems.Add($"{duplicated} events stored more than once");

        using var profiles = _platform.Client("ProfileProjection", bearer: "dev-read-token");
        using var activation = _platform.Client("Activation", bearer: "dev-read-token");
        var buyers = new HashSet<string>();
        foreach (var customer in Enumerable.Range(0, Customers).Select(i => $"c{run}-{i}"))
        {
            using var response = await profiles.GetAsync($"/v1/profiles?identifier=user_id:{customer}");
            if (response.StatusCode == HttpStatusCode.NotFound) continue;
            var profile = await response.Content.ReadFromJsonAsync<JsonElement>();
            var id = profile.GetProperty("id").GetString()!;
            buyers.Add(id);
            // Each customer has one user id, so one profile and one stream: nothing here merges.
            var storedForProfile = stored.Where(x => x.Stream == id).Select(x => x.MessageId).Distinct().Count();
            var counted = profile.GetProperty("activity").GetProperty("events").GetProperty("Order Completed").GetProperty("count").GetInt64();
            if (counted != storedForProfile) problems.Add($"{customer}: counted {counted}, stored {storedForProfile}");
        }
        // Membership follows the profile changes through one more hop: give it the same grace.
        var settleBy = DateTime.UtcNow.AddSeconds(30);
        var members = await Eventually.GetAsync(async () =>
        {
            var page = await activation.GetFromJsonAsync<JsonElement>("/v1/audiences/buyers/members?limit=1000");
            var ids = page.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("profileId").GetString()!).ToHashSet();
            return ids.SetEquals(buyers) || DateTime.UtcNow > settleBy ? ids : null;
        }, TimeSpan.FromSeconds(60));
        if (!members.SetEquals(buyers)) problems.Add($"audience has {members.Count} members, a from-scratch evaluation gives {buyers.Count}");
        var busy = (await _platform.Environment.QueueDepthsAsync()).Where(q => q.Value > 0).ToList();
        if (busy.Count > 0)
        {
            // The management API's figures are sampled statistics; the queues themselves have the last word.
            var depths = await BrokerControl.QueueDepthsAsync(_platform.Environment.Name);
            busy = busy.Where(q => depths.TryGetValue(q.Key, out var d) && d.Ready + d.Unacknowledged > 0).ToList();
            foreach (var (queue, _) in busy)
            {
                problems.Add($"queue {queue} holds {depths[queue].Ready} ready and {depths[queue].Unacknowledged} unacknowledged: " +
                             await _platform.Environment.DescribeMessagesAsync(queue));
            }
        }
        if (busy.Count > 0) problems.Add("database sessions at work: " + await DatabaseActivityAsync());
        return (problems, recovered);
    }

    /// The database's busy sessions and what they wait for, to tell a stuck consumer's cause (a lock, a retry) apart.
    private async Task<string> DatabaseActivityAsync()
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_platform.Environment.Postgres) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select coalesce(application_name, '') || ' ' || state || ' ' || coalesce(wait_event_type || ':' || wait_event, '-') || ' for ' || " +
            "coalesce(extract(epoch from now() - xact_start)::int::text, '?') || ' s: ' || left(query, 100) from pg_stat_activity " +
            "where datname = current_database() and state <> 'idle' and pid <> pg_backend_pid()", connection);
        var sessions = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) sessions.Add(reader.GetString(0));
        return sessions.Count == 0 ? "none" : string.Join(" | ", sessions);
    }

    /// What is in the customer event store: every event of this run by message id, with its profile stream.
    private async Task<List<(string MessageId, string Stream)>> StoredAsync(string run)
    {
        var stored = new List<(string, string)>();
        // Unpooled: a pooled connection would be the one the database restart just cut.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_platform.Environment.Postgres) { Pooling = false }.ConnectionString);
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
        var pausing = false;
        var inFlight = 0;
        var clock = Stopwatch.StartNew();
        var timeline = new ConcurrentQueue<string>();
        var failures = new List<string>();

        async Task SendAsync(int worker)
        {
            using var client = new HttpClient { BaseAddress = _platform.Urls["Collector"], Timeout = TimeSpan.FromSeconds(15) };
            client.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("dev-write-key:")));
            for (var n = 0; Volatile.Read(ref sending); n++)
            {
                while (Volatile.Read(ref pausing)) await Task.Delay(50);
                Interlocked.Increment(ref inFlight);
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
                finally
                {
                    Interlocked.Decrement(ref inFlight);
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
            var back = mending.Elapsed;
            // Hold the client and check the promise now, after this fault, before the next one.
            Volatile.Write(ref pausing, true);
            while (Volatile.Read(ref inFlight) > 0) await Task.Delay(20);
            var (problems, recovered) = await CheckAsync(run, accepted);
            failures.AddRange(problems.Select(p => $"after {name}: {p}"));
            // Written at once as well: should a later step throw, the output still shows how far the run got.
            var line = $"{name}: broken at {started.TotalSeconds:N1} s for {down.TotalSeconds:N0} s, back in {back.TotalSeconds:N1} s; " +
                $"{accepted.Count - before} events accepted meanwhile; all {accepted.Count} accepted so far stored {recovered.TotalSeconds:N1} s after it was back; " +
                (problems.Count == 0 ? "invariants hold" : $"{problems.Count} problems");
            timeline.Enqueue(line);
            output.WriteLine(line);
            Volatile.Write(ref pausing, false);
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

        var (finalProblems, drained) = await CheckAsync(run, accepted);
        failures.AddRange(finalProblems.Select(p => $"at the end: {p}"));
        var stored = await StoredAsync(run);

        output.WriteLine($"sent {accepted.Count + refused}, accepted (200) {accepted.Count}, refused or failed {refused}, " +
            $"stored {stored.Select(x => x.MessageId).Distinct().Count()}, lost {accepted.Keys.Except(stored.Select(x => x.MessageId)).Count()}, " +
            $"duplicated {stored.GroupBy(x => x.MessageId).Count(g => g.Count() > 1)}, drained {drained.TotalSeconds:N1} s after the client stopped; " +
            $"{failures.Count} problems");

        Assert.True(accepted.Count > 200 * rounds, $"only {accepted.Count} events were accepted");
        Assert.True(failures.Count == 0, string.Join(System.Environment.NewLine, [.. timeline, .. failures]));
    }
}

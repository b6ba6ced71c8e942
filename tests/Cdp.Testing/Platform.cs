using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace Cdp.Testing;

/// <summary>
/// The four services as separate processes, the way `./cdp up` runs them, on free ports against an
/// isolated database and virtual host. Stopped with SIGTERM on dispose.
/// </summary>
public sealed class Platform : IAsyncDisposable
{
    public static readonly string[] Services = ["Collector", "IdentityResolution", "ProfileProjection", "Activation"];

    private readonly List<(string Name, Process Process, StringWriterLog Log)> _processes = [];

    private IDictionary<string, string>? _settings;

    private Action<string>? _report;

    private Platform(IsolatedEnvironment environment) => Environment = environment;

    public IsolatedEnvironment Environment { get; }

    public Dictionary<string, Uri> Urls { get; } = [];

    /// <param name="report">Where the services' warnings and errors go on dispose (a test's output: xUnit shows it with a
    /// failure, and the services' full logs die with the run).</param>
    public static async Task<Platform> StartAsync(string purpose, IDictionary<string, string>? settings = null, IReadOnlyList<string>? only = null,
        Action<string>? report = null)
    {
        var platform = new Platform(await IsolatedEnvironment.CreateAsync(purpose)) { _settings = settings, _report = report };
        try
        {
            await Task.WhenAll((only ?? Services).Select(service => platform.StartReadyAsync(service, settings)));
            return platform;
        }
        catch
        {
            await platform.DisposeAsync();
            throw;
        }
    }

    public HttpClient Client(string service, string? bearer = null, string? basicUser = null)
    {
        var client = new HttpClient { BaseAddress = Urls[service], Timeout = TimeSpan.FromSeconds(30) };
        if (bearer is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        if (basicUser is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(basicUser + ":")));
        }
        return client;
    }

    /// <summary>Posts a Tracking API call to the Collector with the development write key.</summary>
    public async Task<HttpResponseMessage> CollectAsync(string path, string json, string? traceParent = null)
    {
        using var client = Client("Collector", basicUser: "dev-write-key");
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        if (traceParent is not null) request.Headers.Add("traceparent", traceParent);
        return await client.SendAsync(request);
    }

    /// <summary>The profile holding <paramref name="identifier"/> (TYPE:VALUE) over the profile API, or null while there is none.</summary>
    public async Task<System.Text.Json.JsonElement?> ProfileAsync(string identifier)
    {
        using var client = Client("ProfileProjection", bearer: "dev-read-token");
        var response = await client.GetAsync($"/v1/profiles?identifier={Uri.EscapeDataString(identifier)}");
        return response.IsSuccessStatusCode ? await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<System.Text.Json.JsonElement>(response.Content) : null;
    }

    /// <summary>The process id of a running service, for measuring its CPU and memory.</summary>
    public int ProcessIdOf(string service) => Running(service).Process.Id;

    public string LogOf(string service) => Running(service).Log.ToString();

    /// The service's newest process (a restart replaces an exited one).
    private (string Name, Process Process, StringWriterLog Log) Running(string service)
    {
        lock (_processes) return _processes.Last(p => p.Name == service);
    }

    /// For a failure message: what the services logged as warnings and errors, and which queues still hold messages.
    public async Task<string> DiagnosisAsync() => Problems() + await Environment.QueuesHoldingMessagesAsync();

    /// The warnings and errors each service logged, each kind once with its count, the last <paramref name="maxKinds"/>
    /// kinds per service: a broker restart logs hundreds of identical connection failures, which filled the report and
    /// pushed out what a failure needs (a CI run's output showed 60 lines of one stack trace and nothing else).
    private string Problems(int maxKinds = 25)
    {
        var report = new System.Text.StringBuilder();
        List<(string Name, Process Process, StringWriterLog Log)> processes;
        lock (_processes) processes = [.. _processes];
        foreach (var (name, _, log) in processes)
        {
            var entries = LogEntries.Problems(log.ToString());
            var kinds = LogEntries.Kinds(entries);
            report.AppendLine($"--- {name}: {entries.Count} warnings and errors of {kinds.Count} kinds{(kinds.Count > maxKinds ? $", the last {maxKinds}" : "")}");
            foreach (var (entry, count) in kinds.TakeLast(maxKinds)) report.AppendLine(count > 1 ? $"({count} times) {entry}" : entry);
        }
        return report.ToString();
    }

    /// Starts a service on a free port and waits until it is ready. The port is free when picked, but another process
    /// (test projects start platforms in parallel) can bind it before Kestrel does: then another port.
    private async Task StartReadyAsync(string service, IDictionary<string, string>? settings)
    {
        for (var attempt = 1; ; attempt++)
        {
            Start(service, settings);
            try
            {
                await WaitReadyAsync(service);
                return;
            }
            catch (InvalidOperationException e) when (attempt < 3 && e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                lock (_processes) Urls.Remove(service);
            }
        }
    }

    private void Start(string service, IDictionary<string, string>? settings)
    {
        // Services of one platform start concurrently (StartReadyAsync), and their lists are shared.
        lock (_processes) StartLocked(service, settings);
    }

    private void StartLocked(string service, IDictionary<string, string>? settings)
    {
        var dll = Path.Combine(RepositoryRoot(), "services", $"Cdp.{service}", "bin", BuildConfiguration(), "net10.0", $"Cdp.{service}.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{dll} is missing; build the solution first (./cdp test does).");
        }
        // A restarted service keeps its address, as it would behind a load balancer.
        var url = Urls.TryGetValue(service, out var known) ? known : new Uri($"http://127.0.0.1:{FreePort()}");
        Urls[service] = url;
        _processes.RemoveAll(p => p.Name == service && p.Process.HasExited);
        var process = ServiceProcesses.Start(dll, info =>
        {
            info.WorkingDirectory = Path.GetDirectoryName(dll)!;
            info.RedirectStandardOutput = true;
            info.RedirectStandardError = true;
            info.Environment["Urls"] = url.ToString();
            info.Environment["ConnectionStrings__Postgres"] = Environment.Postgres;
            info.Environment["ConnectionStrings__RabbitMq"] = Environment.RabbitMq.ToString();
            foreach (var (k, v) in settings ?? new Dictionary<string, string>()) info.Environment[k] = v;
        });
        // CDP_PLATFORM_LOGS=DIR keeps each service's output in DIR/<service>.log as well, for looking at a benchmark run.
        var log = new StringWriterLog(System.Environment.GetEnvironmentVariable("CDP_PLATFORM_LOGS") is { Length: > 0 } dir
            ? Path.Combine(Directory.CreateDirectory(dir).FullName, $"{service}.log")
            : null);
        process.OutputDataReceived += (_, e) => log.Add(e.Data);
        process.ErrorDataReceived += (_, e) => log.Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add((service, process, log));
    }

    private async Task WaitReadyAsync(string service)
    {
        using var client = new HttpClient { BaseAddress = Urls[service], Timeout = TimeSpan.FromSeconds(5) };
        var (_, process, log) = Running(service);
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"{service} exited with {process.ExitCode}:\n{log}");
            try
            {
                if ((await client.GetAsync("/health/ready")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"{service} was not ready in 90 s:\n{log}");
    }

    /// <summary>Kills one service with SIGKILL, as a crash or an OOM kill would: no shutdown, no flushing.</summary>
    public async Task KillAsync(string service)
    {
        var (_, process, _) = Running(service);
        using (var kill = Process.Start("kill", ["-KILL", process.Id.ToString()])) await kill!.WaitForExitAsync();
        await process.WaitForExitAsync();
    }

    /// <summary>Starts a service that was stopped or killed again, on the same address, and waits until it is ready.</summary>
    public async Task RestartAsync(string service, IDictionary<string, string>? settings = null)
    {
        Start(service, settings ?? _settings);
        await WaitReadyAsync(service);
    }

    /// <summary>Stops one service with SIGTERM and waits for it to exit; returns its exit code.</summary>
    public async Task<int> StopAsync(string service, TimeSpan timeout)
    {
        var (_, process, _) = Running(service);
        if (process.HasExited) return process.ExitCode;
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()])) await kill!.WaitForExitAsync();
        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token);
        return process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (_report is not null) _report(await DiagnosisAsync());
        foreach (var (name, process, _) in _processes)
        {
            try
            {
                await StopAsync(name, TimeSpan.FromSeconds(30));
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
            }
            process.Dispose();
        }
        await Environment.DisposeAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static string BuildConfiguration() =>
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";

    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Cdp.Events.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Cdp.Events.sln not found above " + AppContext.BaseDirectory);
    }

    private sealed class StringWriterLog(string? file)
    {
        private readonly System.Text.StringBuilder _text = new();

        public void Add(string? line)
        {
            if (line is null) return;
            lock (_text)
            {
                _text.AppendLine(line);
                if (file is not null) File.AppendAllText(file, line + "\n");
            }
        }

        public override string ToString()
        {
            lock (_text) return _text.ToString();
        }
    }
}

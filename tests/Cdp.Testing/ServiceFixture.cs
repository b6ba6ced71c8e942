using System.Net.Http.Headers;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;

namespace Cdp.Testing;

/// <summary>
/// One service hosted in the test process on its own database and virtual host, ready before the
/// first test, optionally with a probe on the exchange it publishes to.
/// </summary>
public abstract class ServiceFixture<TProgram>(string purpose, string? probedExchange = null, IDictionary<string, string?>? settings = null,
    Action<IServiceCollection>? services = null, string? probedEntries = null)
    : IAsyncLifetime where TProgram : class
{
    public IsolatedEnvironment Environment { get; private set; } = null!;
    public ServiceFactory<TProgram> Factory { get; private set; } = null!;

    /// <summary>What the service published to the probed exchange.</summary>
    public BusProbe Probe => _probe ?? throw new InvalidOperationException("This fixture probes no exchange.");

    private BusProbe? _probe;

    public async Task InitializeAsync()
    {
        Environment = await IsolatedEnvironment.CreateAsync(purpose);
        Factory = new ServiceFactory<TProgram>(Environment, settings, services);
        if (probedExchange is not null)
        {
            _probe = await BusProbe.StartAsync(Environment.RabbitMq, probedExchange, entries: probedEntries,
                onTimeout: async () => Problems() + System.Environment.NewLine + await Environment.QueuesHoldingMessagesAsync());
        }
        await Eventually.TrueAsync(async () => (await Factory.CreateClient().GetAsync("/health/ready")).IsSuccessStatusCode,
            TimeSpan.FromSeconds(60), $"the {purpose} service to be ready");
    }

    /// <summary>The service's last warnings and errors, for a failure message.</summary>
    public string Problems(int maxLines = 40)
    {
        var records = Factory.Services.GetFakeLogCollector().GetSnapshot();
        var lines = records.TakeLast(maxLines).Select(r => $"{r.Timestamp:HH:mm:ss.fff} {r.Level} {r.Category}: {r.Message}" +
            (r.Exception is null ? "" : $" ({r.Exception.GetType().Name}: {r.Exception.Message})"));
        return $"--- the {purpose} service: {records.Count} warnings and errors{(records.Count > maxLines ? $", the last {maxLines}" : "")}" +
            System.Environment.NewLine + string.Join(System.Environment.NewLine, lines);
    }

    /// <summary>Publishes a message on the service's bus, as the upstream service would.</summary>
    public Task PublishAsync(object message) => Factory.Services.GetRequiredService<IBus>().Publish(message);

    /// <summary>An HTTP client with <c>Authorization: Bearer</c> set when a token is given.</summary>
    public HttpClient BearerClient(string? bearer)
    {
        var client = Factory.CreateClient();
        if (bearer is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return client;
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (_probe is not null) await _probe.DisposeAsync();
            await Factory.DisposeAsync();
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException or RabbitMQ.Client.Exceptions.AlreadyClosedException)
        {
            // Under a loaded parallel run, shutting the in-process host and the probe down can race the libraries' own
            // shutdown (a hosted service reaching for the disposed container: ObjectDisposedException; a consumer
            // dispatch queue already closed: ChannelClosedException, an InvalidOperationException). The tests are over
            // by then, and stopping a real service is tested on its own process (EndToEnd's SIGTERM test).
            Console.Error.WriteLine($"{purpose}: ignored while stopping the in-process service: {e.Message}");
        }
        await Environment.DisposeAsync();
    }
}

using Cdp.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Cdp.Benchmarks;

/// One service as its own process on an isolated database and vhost, logging warnings only, and a
/// bus that publishes to it the way the upstream service would.
public sealed class ServiceUnderLoad : IAsyncDisposable
{
    private ServiceProvider? _provider;

    private ServiceUnderLoad(Platform platform) => Platform = platform;

    public Platform Platform { get; }

    public IBusControl Bus => _provider?.GetRequiredService<IBusControl>() ?? throw new InvalidOperationException("Call StartBusAsync first.");

    public static async Task<ServiceUnderLoad> StartAsync(string service, string purpose) =>
        new(await AnsiConsole.Status().StartAsync($"starting {service}", _ =>
            Platform.StartAsync(purpose, only: [service], settings: new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" })));

    public async Task<IBusControl> StartBusAsync(CancellationToken ct)
    {
        var services = new ServiceCollection();
        services.AddMassTransit(x => x.UsingRabbitMq((_, cfg) => cfg.Host(Platform.Environment.RabbitMq)));
        _provider = services.BuildServiceProvider();
        await Bus.StartAsync(ct);
        return Bus;
    }

    public async ValueTask DisposeAsync()
    {
        if (_provider is not null)
        {
            await Bus.StopAsync();
            await _provider.DisposeAsync();
        }
        await Platform.DisposeAsync();
    }
}

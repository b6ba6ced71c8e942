using Marten;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cdp.ServiceDefaults.Persistence;

/// <summary>Deletes processed-message markers older than the retention window, once an hour.</summary>
public sealed class ProcessedMessageRetention(IDocumentStore store, IOptions<PersistenceOptions> options,
    TimeProvider clock, ILogger<ProcessedMessageRetention> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), clock);
        do
        {
            try
            {
                var cutoff = clock.GetUtcNow() - options.Value.ProcessedMessageRetention;
                await using var session = store.LightweightSession();
                session.ForgetProcessedBefore(cutoff);
                await session.SaveChangesAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Could not delete expired processed-message markers; will try again in an hour");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}

using Cdp.ServiceDefaults.Health;
using Cdp.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Cdp.ServiceDefaults;

/// <summary>What every Cdp.Events service wires the same way: telemetry, health, problem details, shutdown.</summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Adds OpenTelemetry, health checks, problem details and a graceful shutdown window.</summary>
    public static WebApplicationBuilder AddCdpServiceDefaults(this WebApplicationBuilder builder, string serviceName)
    {
        builder.AddCdpTelemetry(serviceName);
        builder.Services.AddProblemDetails();
        builder.Services.AddHealthChecks();
        // In-flight messages get this long to finish on SIGTERM before the broker takes them back.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        return builder;
    }

    /// <summary>Maps <c>/health/live</c>, <c>/health/ready</c> and <c>/metrics</c>.</summary>
    public static WebApplication MapCdpDefaultEndpoints(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(HealthTags.Ready),
            ResponseWriter = HealthResponse.WriteAsync,
        });
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}

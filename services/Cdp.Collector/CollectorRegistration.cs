using Cdp.Collector.Ingestion;
using Cdp.Collector.Sources;
using Cdp.ServiceDefaults.Messaging;

namespace Cdp.Collector;

public static class CollectorRegistration
{
    public const string BrowserCors = "browsers";

    public static WebApplicationBuilder AddCollector(this WebApplicationBuilder builder)
    {
        builder.AddCdpMessaging("collector");
        builder.Services.AddSingleton<SourceRegistry>();
        builder.Services.AddSingleton<SourceRateLimits>();
        builder.Services.AddSingleton<Intake>();
        builder.Services.AddSingleton<EventPublisher>();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddHostedService<AmqpIngestion>();
        // Browser SDKs post from any site; the write key, not the origin, authorises them.
        builder.Services.AddCors(o => o.AddPolicy(BrowserCors, p => p
            .AllowAnyOrigin()
            .WithMethods("POST", "OPTIONS")
            .WithHeaders("Content-Type", "Authorization", "Content-Encoding")
            .SetPreflightMaxAge(TimeSpan.FromHours(24))));
        return builder;
    }

    public static WebApplication MapCollector(this WebApplication app)
    {
        app.UseCors();
        app.MapTrackingApi();
        app.MapSourcesApi();
        return app;
    }
}

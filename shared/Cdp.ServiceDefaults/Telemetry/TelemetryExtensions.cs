using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Cdp.ServiceDefaults.Telemetry;

/// <summary>OpenTelemetry for ASP.NET Core, MassTransit, Marten and Npgsql.</summary>
public static class TelemetryExtensions
{
    /// <summary>The source for spans the platform starts itself (publishing from Marten subscriptions).</summary>
    public static readonly ActivitySource Source = new("Cdp.Events");

    /// <summary>Traces and metrics; OTLP export when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, Prometheus always.</summary>
    public static WebApplicationBuilder AddCdpTelemetry(this WebApplicationBuilder builder, string serviceName)
    {
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName))
            .WithTracing(t => t
                .AddAspNetCoreInstrumentation(o => o.Filter = c => !c.Request.Path.StartsWithSegments("/health") && !c.Request.Path.StartsWithSegments("/metrics"))
                .AddHttpClientInstrumentation()
                .AddSource("MassTransit", "Marten", Source.Name)
                .AddNpgsql())
            .WithMetrics(m => m
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter("MassTransit", "Marten", Source.Name, CdpMetrics.MeterName, CdpMetrics.MeterName + ".*")
                .AddPrometheusExporter());
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            otel.UseOtlpExporter();
        }
        return builder;
    }
}

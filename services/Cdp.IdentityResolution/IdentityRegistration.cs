using Cdp.IdentityResolution.Identities;
using Cdp.IdentityResolution.Identities.Api;
using Cdp.IdentityResolution.Identities.ReResolving;
using Cdp.IdentityResolution.Identities.Resolving;
using Cdp.IdentityResolution.Identities.Rules;
using Cdp.IdentityResolution.Publishing;
using Cdp.ServiceDefaults.Maintenance;
using Cdp.ServiceDefaults.Messaging;
using Cdp.ServiceDefaults.Persistence;
using JasperFx.Events.Projections;
using Microsoft.Extensions.Options;

namespace Cdp.IdentityResolution;

public static class IdentityRegistration
{
    public static WebApplicationBuilder AddIdentityResolution(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<IdentityOptions>().Bind(builder.Configuration.GetSection("Cdp:Identity")).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<IdentityOptions>, IdentityRulesCheck>();
        builder.Services.AddSingleton<IdentityRulesInForce>();
        builder.Services.AddSingleton<MaintenancePause>();
        builder.Services.AddSingleton<EventResolution>();
        builder.Services.AddGroupCommit<EventResolution.Collected>(sp => sp.GetRequiredService<EventResolution>().ResolveBatchAsync, maxEntries: 800, concurrency: 1);
        builder.Services.AddSingleton<ReResolution>();
        builder.Services.AddSingleton<ReResolutionRuns>();
        builder.AddCdpMessaging("identity", x =>
        {
            // Both queues feed one GroupCommit: one batch at a time per process, so a batch's decisions see each other
            // in memory; batches of other processes are kept apart by stream versions and the (type, value) key.
            // Events sent alone (other publishers):
            x.AddGroupedConsumer<EventCollectedConsumer>(200);
            // What the Collector sends, up to MessageBatches.MaxEntries events a message.
            x.AddGroupedConsumer<EventsCollectedConsumer>(32);
        });
        builder.AddCdpMarten("identity", options =>
            {
                options.Schema.For<IdentifierOwner>();
                options.Schema.For<AppliedIdentityRules>();
                options.Schema.For<IdentityProfile>().FillFactor(MartenExtensions.RewrittenDocumentFillFactor);
                options.Projections.Add<IdentityProfileProjection>(ProjectionLifecycle.Inline);
                options.Events.AddEventType<ProfileCreated>();
                options.Events.AddEventType<IdentifierAdded>();
                options.Events.AddEventType<IdentifierRefused>();
                options.Events.AddEventType<ProfileMergedFrom>();
                options.Events.AddEventType<ProfileMergedInto>();
                options.Events.AddEventType<EventAttributed>();
                options.Events.AddEventType<EventUnresolvable>();
                options.Events.AddEventType<ProfileSuperseded>();
                options.Events.AddEventType<IdentifiersReplaced>();
                options.Events.AddEventType<EventReattributed>();
            })
            .AddSubscriptionWithServices<IdentityPublisher>(ServiceLifetime.Singleton, o =>
            {
                o.Name = "identity-publisher";
                o.IncludeType<EventAttributed>();
                o.IncludeType<ProfileMergedFrom>();
                o.IncludeType<EventReattributed>();
                o.IncludeType<ProfileSuperseded>();
            });
        return builder;
    }

    public static WebApplication MapIdentityResolution(this WebApplication app)
    {
        app.MapIdentityApi();
        app.MapReResolutionApi();
        return app;
    }
}

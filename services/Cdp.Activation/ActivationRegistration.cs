using Cdp.Activation.Audiences.Definitions;
using Cdp.Activation.Audiences.Sweeps;
using Cdp.Activation.Delivery;
using Cdp.Activation.Delivery.Subscriptions;
using Cdp.Activation.Delivery.Webhooks;
using Cdp.Activation.Memberships;
using Cdp.Activation.Profiles;
using Cdp.Contracts.Profiles;
using Cdp.ServiceDefaults.Messaging;
using Cdp.ServiceDefaults.Persistence;
using Cdp.ServiceDefaults.Maintenance;
using JasperFx.Events.Projections;

namespace Cdp.Activation;

public static class ActivationRegistration
{
    public static WebApplicationBuilder AddActivation(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ActivationOptions>().Bind(builder.Configuration.GetSection("Cdp:Activation"))
            .Validate(o => o.Webhooks.BreakDuration >= TimeSpan.FromMilliseconds(500), "Cdp:Activation:Webhooks:BreakDuration must be at least 00:00:00.500 (Polly's minimum).")
            .Validate(o => o.Webhooks.MaxAttempts >= 1, "Cdp:Activation:Webhooks:MaxAttempts must be at least 1.")
            .Validate(o => o.SweepPageSize is > 0 and <= 5000, "Cdp:Activation:SweepPageSize must be from 1 to 5000.")
            .ValidateOnStart();
        builder.Services.AddSingleton<MembershipRecording>();
        // Two groups at a time, 400 changes each: groups of 800 took Activation's peak working set to 397 MB while a cold
        // start's backlog drained (295-332 MB with 400), for no gain in latency.
        builder.Services.AddGroupCommit<ProfileChanged>(sp => sp.GetRequiredService<MembershipRecording>().RecordAsync, maxEntries: 400, concurrency: 2);
        builder.Services.AddSingleton<AudienceChangeExchange>();
        builder.Services.AddSingleton<WebhookDestinations>();
        builder.Services.AddSingleton<WebhookSender>();
        builder.Services.AddHostedService<AudienceSweeper>();
        builder.Services.AddProjectionRebuilds(AudienceProjection.ProjectionName, ProfileMembershipsProjection.ProjectionName,
            AudienceMemberProjection.ProjectionName);
        builder.Services.AddHttpClient(WebhookSender.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(services => new SocketsHttpHandler
            {
                ConnectCallback = services.GetRequiredService<WebhookDestinations>().ConnectAsync,
                AllowAutoRedirect = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            });

        builder.AddCdpMessaging("activation", x =>
        {
            // Both queues feed one GroupCommit, two groups at a time to overlap database round trips; groups touching
            // one profile are serialized by MembershipRecording's locks.
            // Changes sent alone (other publishers):
            x.AddGroupedConsumer<ProfileChangedConsumer>(200);
            // What ProfileProjection sends, up to MessageBatches.MaxEntries changes a message.
            x.AddGroupedConsumer<ProfilesChangedConsumer>(32);
            x.AddConsumer<WebhookDeliveryConsumer>(typeof(WebhookDeliveryConsumerDefinition));
        });
        builder.AddCdpMarten("activation", options =>
            {
                // The clock sweep reads only the profiles whose due time has come.
                options.Schema.For<ProfileState>().Duplicate(s => s.DueAt).FillFactor(MartenExtensions.RewrittenDocumentFillFactor);
                options.Schema.For<ProfileMemberships>().FillFactor(MartenExtensions.RewrittenDocumentFillFactor);
                options.Schema.For<AudienceMember>().Index(m => m.AudienceKey).Index(m => m.ProfileId);
                options.Schema.For<AudienceSubscription>().Index(s => s.AudienceKey);
                options.Schema.For<DeadLetteredDelivery>().Index(d => d.SubscriptionId).Index(d => d.ProfileId);
                options.Schema.For<PendingDelivery>().Index(d => d.ProfileId);
                options.Schema.For<AudienceBackfill>();
                options.Projections.Add(new AudienceProjection(), ProjectionLifecycle.Inline);
                options.Projections.Add(new ProfileMembershipsProjection(), ProjectionLifecycle.Inline);
                options.Projections.Add(new AudienceMemberProjection(), ProjectionLifecycle.Inline);
                options.Events.AddEventType<AudienceDefined>();
                options.Events.AddEventType<AudienceRuleChanged>();
                options.Events.AddEventType<AudienceDeleted>();
                options.Events.AddEventType<AudienceEntered>();
                options.Events.AddEventType<AudienceExited>();
            })
            .AddSubscriptionWithServices<AudienceChangePublisher>(ServiceLifetime.Singleton, o => o.Name = "audience-change-publisher");
        return builder;
    }

    public static WebApplication MapActivation(this WebApplication app)
    {
        app.MapProfileStateApi();
        // Audiences and members are projections: refused with a 503 while an operator rebuilds them.
        var projected = app.MapGroup("").RefusedWhileRebuilding();
        projected.MapAudienceApi();
        projected.MapMembersApi();
        app.MapRebuildApi();
        app.MapSubscriptionApi();
        return app;
    }
}

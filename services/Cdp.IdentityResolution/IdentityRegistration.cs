using Cdp.IdentityResolution.Identities;
using Cdp.IdentityResolution.Identities.Resolving;
using Cdp.IdentityResolution.Publishing;
using Cdp.ServiceDefaults.Messaging;
using Cdp.ServiceDefaults.Persistence;
using JasperFx.Events;
using Microsoft.Extensions.DependencyInjection;

namespace Cdp.IdentityResolution;

public static class IdentityRegistration
{
    public static WebApplicationBuilder AddIdentityResolution(this WebApplicationBuilder builder)
    {
        builder.AddCdpMessaging("identity", x => x.AddConsumer<EventCollectedConsumer>(typeof(EventCollectedConsumerDefinition)));
        builder.AddCdpMarten("identity", options =>
            {
                options.Schema.For<IdentifierOwner>();
                options.Events.AddEventType<ProfileCreated>();
                options.Events.AddEventType<IdentifierAdded>();
                options.Events.AddEventType<EventAttributed>();
            })
            .AddSubscriptionWithServices<IdentityPublisher>(ServiceLifetime.Singleton, o =>
            {
                o.Name = "identity-publisher";
                o.IncludeType<EventAttributed>();
            });
        return builder;
    }

    public static WebApplication MapIdentityResolution(this WebApplication app) => app;
}

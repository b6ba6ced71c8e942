using Cdp.Activation.Profiles;
using Cdp.ServiceDefaults.Messaging;
using Cdp.ServiceDefaults.Persistence;

namespace Cdp.Activation;

public static class ActivationRegistration
{
    public static WebApplicationBuilder AddActivation(this WebApplicationBuilder builder)
    {
        builder.AddCdpMessaging("activation", x => x.AddConsumer<ProfileChangedConsumer>(typeof(ProfileChangedConsumerDefinition)));
        builder.AddCdpMarten("activation", options => options.Schema.For<ProfileState>());
        return builder;
    }

    public static WebApplication MapActivation(this WebApplication app)
    {
        app.MapProfileStateApi();
        return app;
    }
}

using Cdp.Contracts.Identity;
using Cdp.ServiceDefaults.Messaging;
using Cdp.ServiceDefaults.Telemetry;
using MassTransit;

namespace Cdp.ProfileProjection.Profiles.Recording;

/// Consume a resolved event sent alone (IdentityResolution sends EventsResolved) and record it with the events that
/// arrive meanwhile, from either queue, in one batch (ProfileRecording, through the same GroupCommit); ProfilePublisher
/// publishes. An event that fails for a reason no retry mends goes to the error queue alone.
/// Its GroupCommit is held while an operator rebuilds the profiles (MaintenancePause).
public sealed class EventResolvedConsumer(GroupCommit<EventResolved> recording) : IConsumer<EventResolved>
{
    public async Task Consume(ConsumeContext<EventResolved> context)
    {
        await recording.SubmitAsync([context.Message with { TraceParent = context.Message.TraceParent ?? context.TraceParent() }], context.CancellationToken, context.DeliveryOrder());
    }
}

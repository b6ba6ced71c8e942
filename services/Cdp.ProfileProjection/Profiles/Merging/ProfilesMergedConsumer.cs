using Cdp.Contracts.Identity;
using Cdp.ServiceDefaults.Messaging;
using Cdp.ServiceDefaults.Telemetry;
using MassTransit;

namespace Cdp.ProfileProjection.Profiles.Merging;

/// Consume a merge IdentityResolution decided and carry it out with the merges that arrive meanwhile, in one group
/// (ProfileMerging, through a GroupCommit). A merge that fails for a reason no retry mends goes to the error queue alone.
/// Its GroupCommit is held while an operator rebuilds the profiles (MaintenancePause).
public sealed class ProfilesMergedConsumer(GroupCommit<MergeToCarryOut> merging) : IConsumer<ProfilesMerged>
{
    public async Task Consume(ConsumeContext<ProfilesMerged> context) =>
        await merging.SubmitAsync([new MergeToCarryOut(context.Message, context.TraceParent())], context.CancellationToken, context.DeliveryOrder());
}

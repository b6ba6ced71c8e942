using Cdp.Contracts.Profiles;
using Cdp.ServiceDefaults.Persistence;
using Cdp.ServiceDefaults.Telemetry;
using Marten;
using MassTransit;

namespace Cdp.Activation.Profiles;

/// Keeps the local copy of each profile's latest snapshot. Versions only move forward, so a
/// redelivered or late, older ProfileChanged changes nothing.
public sealed class ProfileChangedConsumer(IDocumentStore store, TimeProvider clock) : IConsumer<ProfileChanged>
{
    public async Task Consume(ConsumeContext<ProfileChanged> context)
    {
        var changed = context.Message;
        var ct = context.CancellationToken;
        await using var session = store.LightweightSession();
        var current = await session.LoadAsync<ProfileState>(changed.ProfileId, ct);
        if (current is not null && current.Version >= changed.Version)
        {
            CdpMetrics.DuplicatesSkipped.Add(1, new KeyValuePair<string, object?>("consumer", nameof(ProfileChangedConsumer)));
            return;
        }
        var now = clock.GetUtcNow();
        session.Store(new ProfileState(changed.ProfileId, changed.Version, changed.Snapshot, changed.MessageId, now));
        await session.SaveChangesAsync(ct);
        CdpMetrics.EndToEndLatency.Record((now - changed.ReceivedAt).TotalSeconds, new KeyValuePair<string, object?>("stage", "activation"));
    }
}

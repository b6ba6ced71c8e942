using System.Text.Json;
using Cdp.Contracts;
using Cdp.Contracts.Collector;
using Cdp.Contracts.Identity;

namespace Cdp.Benchmarks;

/// Resolved "Order Completed" events over a set of profiles, as IdentityResolution would publish them to ProfileProjection.
public static class ResolvedEventLoad
{
    public static EventResolved Create(int index, int profileCount, Random random)
    {
        var profileId = $"p{random.Next(profileCount):D6}";
        var now = DateTimeOffset.UtcNow;
        var message = JsonSerializer.SerializeToElement(new
        {
            type = "track", userId = profileId, @event = "Order Completed", properties = new { revenue = 19.90, sku = $"sku-{index % 50}" },
        });
        return new EventResolved(profileId, new EventCollected(Guid.NewGuid().ToString(), "track", profileId, null, "Order Completed", now, now,
            "bench", "first", message), [new Identifier("user_id", profileId)], []);
    }
}

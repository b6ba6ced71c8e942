using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cdp.Activation.Delivery.Subscriptions;
using Cdp.Activation.Memberships;
using Cdp.Contracts.Activation;

namespace Cdp.Activation.Delivery;

/// The bodies a change is delivered in: our documented JSON, or Segment-style calls that tools
/// consuming Segment audiences already understand.
public static class AudienceChangeBodies
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static AudienceMembershipChanged? Change(Guid eventId, object data) => data switch
    {
        AudienceEntered e => new(eventId.ToString(), e.AudienceKey, e.ProfileId, "entered", e.At, e.ProfileVersion, e.AudienceVersion,
            e.Reason, e.CausedBy, e.Identifiers, e.Traits),
        AudienceExited e => new(eventId.ToString(), e.AudienceKey, e.ProfileId, "exited", e.At, e.ProfileVersion, e.AudienceVersion,
            e.Reason, e.CausedBy, e.Identifiers, e.Traits),
        _ => null,
    };

    public static byte[] For(string format, AudienceMembershipChanged change, string audienceName) => format switch
    {
        SubscriptionFormats.SegmentTrack => Encoding.UTF8.GetBytes(SegmentTrack(change, audienceName).ToJsonString()),
        SubscriptionFormats.SegmentIdentify => Encoding.UTF8.GetBytes(SegmentIdentify(change).ToJsonString()),
        _ => JsonSerializer.SerializeToUtf8Bytes(change, Json),
    };

    /// A track "Audience Entered" / "Audience Exited", as Segment Engage sends it.
    public static JsonObject SegmentTrack(AudienceMembershipChanged change, string audienceName)
    {
        var call = Call("track", change);
        call["event"] = change.Change == "entered" ? "Audience Entered" : "Audience Exited";
        call["properties"] = new JsonObject
        {
            ["audience_key"] = change.AudienceKey,
            ["audience_name"] = audienceName,
            ["profile_id"] = change.ProfileId,
            ["reason"] = change.Reason,
        };
        var traits = Traits(change);
        call["context"] = new JsonObject { ["traits"] = traits, ["library"] = Library() };
        return call;
    }

    /// An identify with a boolean trait named after the audience, as Segment Engage sends it.
    public static JsonObject SegmentIdentify(AudienceMembershipChanged change)
    {
        var call = Call("identify", change);
        var traits = Traits(change);
        traits[change.AudienceKey] = change.Change == "entered";
        call["traits"] = traits;
        call["context"] = new JsonObject { ["library"] = Library() };
        return call;
    }

    private static JsonObject Call(string type, AudienceMembershipChanged change)
    {
        var userId = change.Identifiers.TryGetValue("user_id", out var ids) && ids.Count > 0 ? ids[0] : null;
        var call = new JsonObject
        {
            ["type"] = type,
            ["messageId"] = change.Id,
            ["timestamp"] = change.At.ToString("O"),
            ["userId"] = userId,
        };
        // Segment requires userId or anonymousId; the profile id stands in for anonymous profiles.
        if (userId is null) call["anonymousId"] = change.ProfileId;
        return call;
    }

    private static JsonObject Traits(AudienceMembershipChanged change)
    {
        var traits = new JsonObject();
        if (change.Identifiers.TryGetValue("email", out var emails) && emails.Count > 0) traits["email"] = emails[0];
        foreach (var (name, value) in change.Traits) traits[name] = JsonNode.Parse(value.GetRawText());
        return traits;
    }

    private static JsonObject Library() => new() { ["name"] = "cdp-events", ["version"] = "1" };

    /// The same id for the same change to the same destination, on every redelivery.
    public static Guid DeliveryId(string changeId, string subscriptionId) =>
        new(SHA256.HashData(Encoding.UTF8.GetBytes($"{changeId}/{subscriptionId}")).AsSpan(0, 16));
}

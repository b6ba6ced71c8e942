using System.Text.Json;

namespace Cdp.Activation.Memberships;

// A profile's audience memberships, on the stream named by the profile id. Identifiers and Traits are
// what the delivery carries (the audience's included traits only), frozen at the change so a replay
// delivers the same body. Stored event names are data: never rename.

public sealed record AudienceEntered(string ProfileId, string AudienceKey, long AudienceVersion, long ProfileVersion, string Reason,
    string? CausedBy, IReadOnlyDictionary<string, IReadOnlyList<string>> Identifiers, IReadOnlyDictionary<string, JsonElement> Traits,
    DateTimeOffset At);

public sealed record AudienceExited(string ProfileId, string AudienceKey, long AudienceVersion, long ProfileVersion, string Reason,
    string? CausedBy, IReadOnlyDictionary<string, IReadOnlyList<string>> Identifiers, IReadOnlyDictionary<string, JsonElement> Traits,
    DateTimeOffset At);

/// Why a membership changed.
public static class MembershipReasons
{
    public const string ProfileChanged = "profile_changed";
    public const string Backfill = "backfill";
    public const string Clock = "clock";
    public const string Merged = "merged";
    public const string AudienceDeleted = "audience_deleted";
}

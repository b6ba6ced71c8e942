using System.Text.Json;

namespace Cdp.ProfileProjection.Profiles;

/// A last-writer-wins register: the value written by the latest event (by the event's own
/// timestamp, ties broken by message id), whatever order events arrive in. A null value is kept
/// as a tombstone so that an older write arriving late cannot bring a cleared trait back.
public sealed record TraitRegister(JsonElement? Value, DateTimeOffset UpdatedAt, string MessageId, string SourceId, string DataParty)
{
    public bool IsNewerThan(TraitRegister other) =>
        UpdatedAt != other.UpdatedAt ? UpdatedAt > other.UpdatedAt : string.CompareOrdinal(MessageId, other.MessageId) > 0;

    public bool IsCleared => Value is null || Value.Value.ValueKind == JsonValueKind.Null;
}

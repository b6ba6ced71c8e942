using System.Text.Json;

namespace Cdp.Contracts.Activation;

/// <summary>
/// A profile entered or exited an audience: the JSON body (camelCase, no envelope) delivered on the
/// <c>cdp.audience-changes</c> topic exchange with routing key <c>{audienceKey}.{change}</c>, and to
/// webhooks and queue subscriptions that asked for the <c>json</c> format.
/// </summary>
/// <param name="Id">Unique per change; the same on every redelivery, so consumers dedupe on it.</param>
/// <param name="AudienceKey">The audience's stable key.</param>
/// <param name="ProfileId">The canonical profile id.</param>
/// <param name="Change"><c>entered</c> or <c>exited</c>.</param>
/// <param name="At">When the change was decided.</param>
/// <param name="ProfileVersion">The profile version the decision saw.</param>
/// <param name="AudienceVersion">The audience definition version the decision used.</param>
/// <param name="Reason">profile_changed, backfill, clock, merged or audience_deleted.</param>
/// <param name="MessageId">The collected event whose profile change caused it, when an event did.</param>
/// <param name="Identifiers">The profile's identifiers by type (at most 20 values a type).</param>
/// <param name="Traits">The traits the audience asks to include.</param>
public sealed record AudienceMembershipChanged(
    string Id,
    string AudienceKey,
    string ProfileId,
    string Change,
    DateTimeOffset At,
    long ProfileVersion,
    long AudienceVersion,
    string Reason,
    string? MessageId,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Identifiers,
    IReadOnlyDictionary<string, JsonElement> Traits)
{
    /// <summary>The topic exchange audience changes are published to.</summary>
    public const string Exchange = "cdp.audience-changes";

    /// <summary>The routing key of this change.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string RoutingKey => $"{AudienceKey}.{Change}";
}

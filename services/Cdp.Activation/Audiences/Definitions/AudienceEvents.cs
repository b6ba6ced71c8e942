using System.Text.Json;

namespace Cdp.Activation.Audiences.Definitions;

// An audience's definition history, on the stream "audience/{key}". Stored event names are data: never rename.

public sealed record AudienceDefined(string Key, string Name, JsonElement Rule, IReadOnlyList<string> IncludeTraits, DateTimeOffset At);

public sealed record AudienceRuleChanged(string Key, string Name, JsonElement Rule, IReadOnlyList<string> IncludeTraits, DateTimeOffset At);

public sealed record AudienceDeleted(string Key, DateTimeOffset At);

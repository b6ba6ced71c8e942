using System.Text.Json.Nodes;

namespace Cdp.Ops.Import;

/// How a row becomes a Segment identify call. Each --map COLUMN=TARGET sends a column to userId, anonymousId,
/// timestamp or traits.NAME, or skips it; unmapped columns become traits of the same name. A row needs a userId
/// or anonymousId (Segment's rule); where the file has neither, the key column (email by default) stands in as
/// anonymousId "SOURCE:VALUE", the same for every import of that person from that source, and its value stays
/// a trait so identity links it (an email column links by email).
public sealed class ColumnMapping
{
    private readonly Dictionary<string, string> _targets;
    private readonly string _keyColumn;
    private readonly string _sourceId;

    private ColumnMapping(Dictionary<string, string> targets, string keyColumn, string sourceId) =>
        (_targets, _keyColumn, _sourceId) = (targets, keyColumn, sourceId);

    public static ColumnMapping Parse(IEnumerable<string> maps, string keyColumn, string sourceId)
    {
        var targets = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var map in maps)
        {
            var equals = map.IndexOf('=');
            var (column, target) = equals > 0 ? (map[..equals].Trim(), map[(equals + 1)..].Trim()) : ("", "");
            var valid = target is "userId" or "anonymousId" or "timestamp" or "skip"
                        || (target.StartsWith("traits.", StringComparison.Ordinal) && target.Length > "traits.".Length);
            if (column.Length == 0 || !valid)
            {
                throw new UsageException($"--map '{map}' must be COLUMN=TARGET with TARGET one of userId, anonymousId, timestamp, traits.NAME, skip.");
            }
            targets[column] = target;
        }
        return new ColumnMapping(targets, keyColumn, sourceId);
    }

    /// The identify call for a row, or the reason the row cannot be one.
    public (JsonObject? Call, string? Rejected) Map(ImportRow row, string messageId)
    {
        var call = new JsonObject { ["type"] = "identify", ["messageId"] = messageId };
        var traits = new JsonObject();
        foreach (var (column, value) in row.Fields)
        {
            if (value is null) continue;
            var target = _targets.GetValueOrDefault(column, $"traits.{column}");
            switch (target)
            {
                case "skip":
                    break;
                case "userId" or "anonymousId" or "timestamp":
                    call[target] = value.DeepClone();
                    break;
                default:
                    traits[target["traits.".Length..]] = value.DeepClone();
                    break;
            }
        }
        if (!call.ContainsKey("userId") && !call.ContainsKey("anonymousId"))
        {
            if (row.Fields.GetValueOrDefault(_keyColumn) is not JsonValue key || key.ToString().Trim() is not { Length: > 0 } keyText)
            {
                return (null, $"has no userId or anonymousId column and its key column '{_keyColumn}' is empty " +
                              "(map one with --map COLUMN=userId, or name the key with --key)");
            }
            call["anonymousId"] = $"{_sourceId}:{keyText.ToLowerInvariant()}";
        }
        if (traits.Count > 0) call["traits"] = traits;
        call["context"] = new JsonObject { ["library"] = new JsonObject { ["name"] = "cdp-ops import" }, ["import"] = new JsonObject { ["row"] = row.Number } };
        return (call, null);
    }
}

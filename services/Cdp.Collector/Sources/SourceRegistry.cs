using System.Collections.Concurrent;
using Cdp.Contracts;

namespace Cdp.Collector.Sources;

/// The sources the Collector accepts events from, seeded from configuration.
public sealed class SourceRegistry
{
    private readonly ConcurrentDictionary<string, Source> _byWriteKey = new(StringComparer.Ordinal);

    public SourceRegistry(IConfiguration configuration)
    {
        foreach (var o in configuration.GetSection("Cdp:Sources").Get<List<SourceOptions>>() ?? [])
        {
            if (string.IsNullOrWhiteSpace(o.Id) || string.IsNullOrWhiteSpace(o.WriteKey) || !DataParties.IsValid(o.DataParty))
            {
                throw new InvalidOperationException(
                    $"Cdp:Sources entry '{o.Id}' needs an Id, a WriteKey and a DataParty of first, second or third.");
            }
            _byWriteKey[o.WriteKey] = new Source(o.Id, string.IsNullOrEmpty(o.Name) ? o.Id : o.Name, o.WriteKey, o.DataParty, o.Enabled);
        }
    }

    public Source? FindByWriteKey(string? writeKey) =>
        writeKey is not null && _byWriteKey.TryGetValue(writeKey, out var source) ? source : null;

    public IReadOnlyList<Source> All() => [.. _byWriteKey.Values.OrderBy(s => s.Id)];
}

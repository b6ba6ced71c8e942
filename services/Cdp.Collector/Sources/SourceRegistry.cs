using System.Collections.Concurrent;
using System.Text.Json;
using Cdp.Contracts;

namespace Cdp.Collector.Sources;

/// The sources the Collector accepts events from: seeded from configuration (Cdp:Sources), changed
/// through the admin API, and kept in Cdp:Collector:SourcesFile when set so changes survive a restart.
public sealed class SourceRegistry
{
    private static readonly JsonSerializerOptions FileJson = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private readonly ConcurrentDictionary<string, Source> _byId = new(StringComparer.Ordinal);
    private readonly string? _file;
    private readonly Lock _writing = new();

    public SourceRegistry(IConfiguration configuration)
    {
        foreach (var o in configuration.GetSection("Cdp:Sources").Get<List<SourceOptions>>() ?? [])
        {
            var source = new Source(o.Id, string.IsNullOrEmpty(o.Name) ? o.Id : o.Name, o.WriteKey, o.DataParty, o.Enabled, o.EventsPerSecond);
            if (Problem(source) is { } problem) throw new InvalidOperationException($"Cdp:Sources entry '{o.Id}': {problem}");
            _byId[source.Id] = source;
        }
        _file = configuration["Cdp:Collector:SourcesFile"];
        if (!string.IsNullOrEmpty(_file) && File.Exists(_file))
        {
            // Once sources are managed through the API, the file is the whole list: deletions stay deleted.
            _byId.Clear();
            foreach (var source in JsonSerializer.Deserialize<List<Source>>(File.ReadAllText(_file), FileJson) ?? [])
            {
                _byId[source.Id] = source;
            }
        }
    }

    public Source? FindByWriteKey(string? writeKey) =>
        writeKey is null ? null : _byId.Values.FirstOrDefault(s => s.WriteKey == writeKey);

    public Source? Find(string id) => _byId.GetValueOrDefault(id);

    public IReadOnlyList<Source> All() => [.. _byId.Values.OrderBy(s => s.Id, StringComparer.Ordinal)];

    /// What is wrong with a source definition, or null.
    public string? Problem(Source source)
    {
        if (string.IsNullOrWhiteSpace(source.Id)) return "id is required";
        if (string.IsNullOrWhiteSpace(source.WriteKey)) return "writeKey is required";
        if (!DataParties.IsValid(source.DataParty)) return "dataParty must be first, second or third";
        if (source.EventsPerSecond is <= 0) return "eventsPerSecond must be positive (or left out for no limit)";
        var holder = _byId.Values.FirstOrDefault(s => s.WriteKey == source.WriteKey && s.Id != source.Id);
        return holder is null ? null : $"writeKey is already used by source '{holder.Id}'";
    }

    /// Saves the source unless it is invalid; returns the problem, or null when saved.
    public string? TrySave(Source source)
    {
        lock (_writing)
        {
            if (Problem(source) is { } problem) return problem;
            _byId[source.Id] = source;
            Persist();
            return null;
        }
    }

    public bool Remove(string id)
    {
        lock (_writing)
        {
            var removed = _byId.TryRemove(id, out _);
            Persist();
            return removed;
        }
    }

    private void Persist()
    {
        if (string.IsNullOrEmpty(_file)) return;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_file))!);
        var temporary = _file + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(All(), FileJson));
        File.Move(temporary, _file, overwrite: true);
    }
}

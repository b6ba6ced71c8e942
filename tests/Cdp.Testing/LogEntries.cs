namespace Cdp.Testing;

/// <summary>The warnings and errors in a service's console log, shortened for a test's failure report.</summary>
public static class LogEntries
{
    /// Frames kept of an entry's stack trace: where it was thrown. The rest is MassTransit's, RabbitMQ's or Npgsql's
    /// call chain, the same in every entry.
    private const int FramesKept = 3;

    /// <summary>
    /// Each warning, error or critical entry of a console log (the logger starts an entry with its level and indents
    /// what follows): its header, its message and exception lines, and the first frames of its stack.
    /// </summary>
    public static List<string> Problems(string log)
    {
        var entries = new List<string>();
        List<string>? entry = null;
        var frames = 0;
        foreach (var line in log.Split('\n'))
        {
            if (line.Length > 0 && !char.IsWhiteSpace(line[0]))
            {
                if (entry is not null) entries.Add(string.Join(System.Environment.NewLine, entry));
                entry = line.StartsWith("warn:") || line.StartsWith("fail:") || line.StartsWith("crit:") ? [line.TrimEnd()] : null;
                frames = 0;
                continue;
            }
            if (entry is null || string.IsNullOrWhiteSpace(line)) continue;
            var text = line.Trim();
            if (text.StartsWith("--- End of")) continue;
            if (text.StartsWith("at ") && ++frames > FramesKept) continue;
            entry.Add(line.TrimEnd());
        }
        if (entry is not null) entries.Add(string.Join(System.Environment.NewLine, entry));
        return entries;
    }

    /// <summary>
    /// Each different entry once, with how many times it was logged, in the order of its last time: a broker restart
    /// interleaves a few kinds of connection failure hundreds of times.
    /// </summary>
    public static List<(string Entry, int Count)> Kinds(IReadOnlyList<string> entries) =>
        [.. entries.Select((entry, index) => (entry, index)).GroupBy(x => x.entry)
            .Select(g => (Entry: g.Key, Count: g.Count(), Last: g.Max(x => x.index)))
            .OrderBy(k => k.Last).Select(k => (k.Entry, k.Count))];
}

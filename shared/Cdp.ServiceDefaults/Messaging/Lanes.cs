namespace Cdp.ServiceDefaults.Messaging;

/// <summary>Which of a <see cref="GroupCommit{TEntry}"/>'s lanes a key (a profile id, say) belongs to.</summary>
public static class Lanes
{
    /// <summary>The lane, from 0 to <paramref name="count"/> - 1; the same key gives the same lane within a process.</summary>
    public static int Of(string key, int count) => (int)((uint)StringComparer.Ordinal.GetHashCode(key) % (uint)count);
}

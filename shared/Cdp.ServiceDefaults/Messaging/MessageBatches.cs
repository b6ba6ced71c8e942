using System.Buffers;
using System.Text.Json;

namespace Cdp.ServiceDefaults.Messaging;

/// <summary>
/// Splits what one page of events publishes into messages of several entries each: one message per entry cost
/// RabbitMQ a publish, a confirm, a delivery and an ack each (RabbitMQ was a quarter of the machine at saturation).
/// A message holds at most <see cref="MaxEntries"/> entries and <see cref="MaxBytes"/> of their JSON, well under
/// RabbitMQ's comfortable message sizes; an entry larger than that on its own travels alone.
/// </summary>
public static class MessageBatches
{
    /// <summary>The most JSON one message carries, in bytes, counted entry by entry.</summary>
    public const int MaxBytes = 48 * 1024;

    /// <summary>The most entries one message carries.</summary>
    public const int MaxEntries = 100;

    /// <summary>Consecutive runs of <paramref name="items"/> that keep to the limits, in order.</summary>
    public static IEnumerable<List<T>> Split<T>(IEnumerable<T> items, Func<T, object> entryOf, int maxBytes = MaxBytes, int maxEntries = MaxEntries)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using var writer = new Utf8JsonWriter(buffer);
        var batch = new List<T>();
        var bytes = 0;
        foreach (var item in items)
        {
            buffer.ResetWrittenCount();
            writer.Reset(buffer);
            var entry = entryOf(item);
            JsonSerializer.Serialize(writer, entry, entry.GetType(), JsonSerializerOptions.Web);
            var size = buffer.WrittenCount;
            if (batch.Count > 0 && (bytes + size > maxBytes || batch.Count == maxEntries))
            {
                yield return batch;
                batch = [];
                bytes = 0;
            }
            batch.Add(item);
            bytes += size;
        }
        if (batch.Count > 0) yield return batch;
    }
}

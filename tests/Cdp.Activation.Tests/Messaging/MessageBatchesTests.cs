using Cdp.ServiceDefaults.Messaging;

namespace Cdp.Activation.Tests.Messaging;

/// How a page's entries are split into messages: in order, at most MaxEntries and MaxBytes of JSON each.
public sealed class MessageBatchesTests
{
    private sealed record Entry(int Index, string Text);

    private static List<Entry> Entries(int count, int textLength) =>
        [.. Enumerable.Range(0, count).Select(i => new Entry(i, new string('x', textLength)))];

    [Fact]
    public void Given_more_small_entries_than_one_message_holds_then_they_split_by_count_in_order()
    {
        var batches = MessageBatches.Split(Entries(250, 10), e => e).ToList();

        Assert.Equal([100, 100, 50], batches.Select(b => b.Count));
        Assert.Equal(Enumerable.Range(0, 250), batches.SelectMany(b => b).Select(e => e.Index));
    }

    [Fact]
    public void Given_large_entries_then_no_message_exceeds_the_byte_limit_and_an_oversized_entry_travels_alone()
    {
        var entries = Entries(10, 10_000);
        entries.Insert(5, new Entry(99, new string('y', 60_000)));

        var batches = MessageBatches.Split(entries, e => e).ToList();

        Assert.All(batches.Where(b => b.All(e => e.Index != 99)), b => Assert.True(b.Count <= 4, $"{b.Count} entries of 10 KB"));
        Assert.Single(batches, b => b.Count == 1 && b[0].Index == 99);
        Assert.Equal(entries.Select(e => e.Index), batches.SelectMany(b => b).Select(e => e.Index));
    }

    [Fact]
    public void Given_no_entries_then_no_message() => Assert.Empty(MessageBatches.Split(new List<Entry>(), e => e));
}

using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Cdp.Testing;

/// Reads a queue as an operator would: one message at a time, taken off the queue.
public static class QueueReads
{
    /// <summary>
    /// The next message of <paramref name="queue"/>, or null while it is empty or not ready yet. An error queue appears
    /// with its first fault, and a get can race its declaration two ways: before the record exists (404, which closes
    /// the channel) and after the record but before the quorum queue's process runs (541 "noproc", which closes the
    /// whole connection). Hence a connection per call, so neither takes down the caller's own.
    /// </summary>
    public static async Task<BasicGetResult?> TakeAsync(Uri broker, string queue)
    {
        await using var connection = await new ConnectionFactory { Uri = broker }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return await channel.BasicGetAsync(queue, autoAck: true);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason is { ReplyCode: 404 } || e.ShutdownReason is { ReplyCode: 541 } r && r.ReplyText.Contains("noproc"))
        {
            return null;
        }
    }
}

using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Cdp.Testing;

/// Reads a queue as an operator would: one message at a time, taken off the queue.
public static class QueueReads
{
    /// The next message of <paramref name="queue"/>, or null while it is empty or does not exist yet (an error queue
    /// appears with its first message; a get on a missing queue closes the channel, hence a channel per call).
    public static async Task<BasicGetResult?> TakeAsync(IConnection connection, string queue)
    {
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return await channel.BasicGetAsync(queue, autoAck: true);
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return null;
        }
    }
}

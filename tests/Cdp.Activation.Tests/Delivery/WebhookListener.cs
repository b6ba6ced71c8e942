using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Cdp.Activation.Tests.Delivery;

/// A destination's HTTP endpoint on localhost that answers with whatever status the test chooses.
public sealed class WebhookListener : IAsyncDisposable
{
    public sealed record Request(string Body, string? Signature, string? DeliveryId, int Status, DateTimeOffset At);

    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    public ConcurrentQueue<Request> Requests { get; } = new();
    public Func<int, int> StatusFor { get; set; } = _ => 200;
    public string Url { get; }

    // Never a port an earlier listener of this test run had: a service host of another test may still be retrying a
    // delivery to it, and its post would land among this test's requests.
    private static readonly ConcurrentDictionary<int, byte> UsedPorts = new();

    public WebhookListener()
    {
        int port;
        do
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
        }
        while (!UsedPorts.TryAdd(port, 0));
        Url = $"http://localhost:{port}/hook/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    private async Task LoopAsync()
    {
        var n = 0;
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            using var reader = new StreamReader(context.Request.InputStream);
            var body = await reader.ReadToEndAsync();
            var status = StatusFor(Interlocked.Increment(ref n));
            Requests.Enqueue(new Request(body, context.Request.Headers["X-Cdp-Signature"], context.Request.Headers["X-Cdp-Delivery-Id"], status,
                DateTimeOffset.UtcNow));
            context.Response.StatusCode = status;
            context.Response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}

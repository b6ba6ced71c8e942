using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Cdp.Activation.Delivery.Webhooks;

/// Keeps webhooks from being pointed at the platform's own network (loopback, private, link-local,
/// unspecified addresses) unless configuration allows it. Checked when a subscription is made and
/// again on every connection, after DNS, so a name that later resolves inward is refused too.
public sealed class WebhookDestinations(IOptions<ActivationOptions> options)
{
    public const string FixHint = "Point the webhook at a public address, or allow the host in Cdp:Activation:Webhooks:AllowedHosts " +
        "(or every private address with Cdp:Activation:Webhooks:AllowPrivateNetworks=true).";

    public bool IsAllowedHost(string host) =>
        options.Value.Webhooks.AllowPrivateNetworks || options.Value.Webhooks.AllowedHosts.Contains(host, StringComparer.OrdinalIgnoreCase);

    /// Null when the URL may be used; otherwise what is wrong with it.
    public async Task<string?> ProblemWithAsync(string? url, CancellationToken ct)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return "must be an absolute http or https URL";
        }
        if (IsAllowedHost(uri.Host)) return null;
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(uri.Host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(uri.Host, ct);
        }
        catch (SocketException)
        {
            return $"host '{uri.Host}' does not resolve";
        }
        return addresses.Any(IsInternal) ? $"'{uri.Host}' is an internal address. {FixHint}" : null;
    }

    /// The connection guard for the webhook HttpClient.
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        if (!IsAllowedHost(host) && addresses.Any(IsInternal))
        {
            throw new HttpRequestException($"Webhook destination '{host}' resolves to an internal address. {FixHint}");
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static bool IsInternal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)) return true;
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6UniqueLocal;
        }
        var b = address.GetAddressBytes();
        return b[0] == 10 || b[0] == 0 || (b[0] == 172 && b[1] >= 16 && b[1] <= 31) || (b[0] == 192 && b[1] == 168)
            || (b[0] == 169 && b[1] == 254) || (b[0] == 100 && b[1] >= 64 && b[1] <= 127);
    }
}

using System.Security.Cryptography;
using System.Text;

namespace Cdp.Activation.Delivery.Webhooks;

/// The X-Cdp-Signature header: "t=UNIX_SECONDS,v1=HEX" where HEX is HMAC-SHA256 of "t.body" under the
/// subscription's secret. The timestamp is signed too, so a receiver can refuse replays older than a few minutes.
public static class WebhookSignature
{
    public const string Header = "X-Cdp-Signature";

    public static string Sign(string secret, long unixSeconds, string body)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{unixSeconds}.{body}"));
        return $"t={unixSeconds},v1={Convert.ToHexStringLower(mac)}";
    }

    /// What a receiver does: recompute and compare in constant time, and check the timestamp is recent.
    public static bool Verify(string secret, string header, string body, DateTimeOffset now, TimeSpan tolerance)
    {
        var parts = header.Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        if (!parts.TryGetValue("t", out var t) || !long.TryParse(t, out var seconds) || !parts.ContainsKey("v1")) return false;
        if ((now - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > tolerance) return false;
        var expected = Encoding.ASCII.GetBytes(Sign(secret, seconds, body));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(header));
    }
}

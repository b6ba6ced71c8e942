using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Cdp.ServiceDefaults.Security;

/// <summary>Bearer-token protection for the read and admin APIs.</summary>
public static class TokenAuthorization
{
    /// <summary>Configuration key of the token that reads profiles and identities.</summary>
    public const string ReadToken = "Cdp:ReadToken";

    /// <summary>Configuration key of the token for admin and operator endpoints.</summary>
    public const string AdminToken = "Cdp:AdminToken";

    /// <summary>
    /// Requires <c>Authorization: Bearer TOKEN</c> (or HTTP Basic with the token as user name, as Segment's
    /// APIs take it) where TOKEN is the value at <paramref name="configurationKey"/>; the admin token is accepted too.
    /// </summary>
    public static TBuilder RequireToken<TBuilder>(this TBuilder builder, string configurationKey) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var configuration = context.HttpContext.RequestServices.GetRequiredService<IConfiguration>();
            var presented = PresentedToken(context.HttpContext.Request);
            var accepted = new[] { configuration[configurationKey], configuration[AdminToken] }.Where(t => !string.IsNullOrEmpty(t));
            if (presented is null || !accepted.Any(t => FixedTimeEquals(t!, presented)))
            {
                return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
                    detail: presented is null
                        ? "Send the token as 'Authorization: Bearer TOKEN'."
                        : "The token is not valid for this endpoint.");
            }
            return await next(context);
        });

    /// <summary>The bearer token or Basic user name of a request.</summary>
    public static string? PresentedToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return header["Bearer ".Length..].Trim();
        }
        return BasicUserName(header);
    }

    /// <summary>The user name of an HTTP Basic <c>Authorization</c> header, or null.</summary>
    public static string? BasicUserName(string header)
    {
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
            var colon = decoded.IndexOf(':');
            return colon < 0 ? decoded : decoded[..colon];
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static bool FixedTimeEquals(string expected, string presented) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(presented));
}

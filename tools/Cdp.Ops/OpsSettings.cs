using System.CommandLine;
using System.Net.Http.Headers;
using System.Text;

namespace Cdp.Ops;

/// Where the platform is: options every command takes, defaulting to the environment and then to `./cdp up`'s addresses.
public sealed record OpsSettings(string Postgres, Uri RabbitMq, Uri Management, Uri Collector, Uri Identity, Uri Profiles, Uri Activation,
    string AdminToken, bool Json)
{
    public static readonly Option<string> PostgresOption = Global("--postgres", "CDP_POSTGRES",
        "Host=localhost;Port=5432;Database=cdp;Username=cdp;Password=cdp", "PostgreSQL connection string");
    public static readonly Option<string> RabbitMqOption = Global("--rabbitmq", "CDP_RABBITMQ", "amqp://guest:guest@localhost:5672/",
        "RabbitMQ URI; its path is the virtual host");
    public static readonly Option<string> ManagementOption = Global("--management", "CDP_RABBITMQ_MANAGEMENT", "http://guest:guest@localhost:15672",
        "RabbitMQ management API, user:password in the URL");
    public static readonly Option<string> CollectorOption = Global("--collector", "CDP_COLLECTOR_URL", "http://localhost:5100", "Collector URL");
    public static readonly Option<string> IdentityOption = Global("--identity", "CDP_IDENTITY_URL", "http://localhost:5101", "IdentityResolution URL");
    public static readonly Option<string> ProfilesOption = Global("--profiles", "CDP_PROFILES_URL", "http://localhost:5102", "ProfileProjection URL");
    public static readonly Option<string> ActivationOption = Global("--activation", "CDP_ACTIVATION_URL", "http://localhost:5103", "Activation URL");
    public static readonly Option<string> AdminTokenOption = Global("--admin-token", "CDP_ADMIN_TOKEN", "dev-admin-token", "the services' Cdp:AdminToken");
    public static readonly Option<bool> JsonOption = new("--json") { Description = "print one JSON document on stdout instead of tables and progress", Recursive = true };

    public static IEnumerable<Option> All =>
        [PostgresOption, RabbitMqOption, ManagementOption, CollectorOption, IdentityOption, ProfilesOption, ActivationOption, AdminTokenOption, JsonOption];

    public static OpsSettings From(ParseResult r) => new(
        r.GetValue(PostgresOption)!,
        UriOf(r.GetValue(RabbitMqOption)!, "--rabbitmq"),
        UriOf(r.GetValue(ManagementOption)!, "--management"),
        UriOf(r.GetValue(CollectorOption)!, "--collector"),
        UriOf(r.GetValue(IdentityOption)!, "--identity"),
        UriOf(r.GetValue(ProfilesOption)!, "--profiles"),
        UriOf(r.GetValue(ActivationOption)!, "--activation"),
        r.GetValue(AdminTokenOption)!,
        r.GetValue(JsonOption));

    /// The virtual host named by the RabbitMQ URI's path ("/" when it has none).
    public string VirtualHost => RabbitMq.AbsolutePath is "/" or "" ? "/" : Uri.UnescapeDataString(RabbitMq.AbsolutePath.TrimStart('/'));

    /// An HTTP client for the management API, with the credentials of its URL.
    public HttpClient ManagementClient()
    {
        var client = new HttpClient { BaseAddress = new Uri(Management.GetLeftPart(UriPartial.Authority)), Timeout = TimeSpan.FromSeconds(10) };
        if (Management.UserInfo is { Length: > 0 } user)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(user))));
        }
        return client;
    }

    /// An HTTP client for a service's admin API.
    public HttpClient AdminClient(Uri service)
    {
        var client = new HttpClient { BaseAddress = service, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        return client;
    }

    private static Option<string> Global(string name, string variable, string fallback, string description) => new(name)
    {
        Description = $"{description} (env {variable})",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(variable) is { Length: > 0 } set ? set : fallback,
    };

    private static Uri UriOf(string value, string option) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) ? uri : throw new UsageException($"{option} '{value}' is not an absolute URL.");
}

/// A mistake on the command line or in an input file: printed without a stack trace, exit code 2.
public sealed class UsageException(string message) : Exception(message);

/// A dependency that did not answer: exit code 3, with the fix in the message.
public sealed class UnreachableException(string message, Exception? inner = null) : Exception(message, inner);

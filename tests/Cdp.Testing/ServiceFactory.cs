using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Cdp.Testing;

/// <summary>Hosts one service in the test process against an isolated database and virtual host.</summary>
public sealed class ServiceFactory<TProgram>(IsolatedEnvironment environment, IDictionary<string, string?>? settings = null,
    Action<IServiceCollection>? services = null)
    : WebApplicationFactory<TProgram> where TProgram : class
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        var all = environment.ServiceSettings();
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) all[k] = v;
        // UseSetting reaches the configuration Program.cs reads while it registers services.
        foreach (var (k, v) in all) builder.UseSetting(k, v);
        builder.ConfigureAppConfiguration(config => config.AddInMemoryCollection(all));
        // Kept for a failing test to show: the service's warnings and errors (ServiceFixture.Problems).
        builder.ConfigureLogging(logging => logging.AddFakeLogging(o =>
        {
            o.FilteredLevels.Add(LogLevel.Warning);
            o.FilteredLevels.Add(LogLevel.Error);
            o.FilteredLevels.Add(LogLevel.Critical);
        }));
        if (services is not null) builder.ConfigureTestServices(services);
    }
}

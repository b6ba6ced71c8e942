using Cdp.Testing;
using Microsoft.Extensions.Options;

namespace Cdp.IdentityResolution.Tests.Identities.Rules;

public class ConfiguredRulesTests
{
    [Fact]
    public async Task Given_a_configured_blocked_pattern_with_a_backreference_when_the_service_starts_then_it_refuses_naming_the_pattern()
    {
        await using var environment = await IsolatedEnvironment.CreateAsync("identity-bad-rules");
        await using var factory = new ServiceFactory<Program>(environment, new Dictionary<string, string?>
        {
            // Added to the default patterns, as configuration lists are.
            ["Cdp:Identity:Blocked:Patterns:0"] = @"^(.)\1+$",
        });

        var refused = Assert.Throws<OptionsValidationException>(() => factory.CreateClient());

        Assert.Contains(@"Cdp:Identity: Blocked.Patterns has '^(.)\1+$', which cannot be used", refused.Message);
    }
}

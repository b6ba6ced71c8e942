using System.Text.Json;
using Cdp.Contracts;
using Cdp.Contracts.Collector;
using Cdp.IdentityResolution.Identities.Extraction;
using Cdp.IdentityResolution.Identities.Rules;

namespace Cdp.IdentityResolution.Tests.Identities.Extraction;

public class IdentifierExtractorTests
{
    private static EventCollected Event(string json)
    {
        var message = JsonDocument.Parse(json).RootElement;
        string? Text(string name) => message.TryGetProperty(name, out var v) ? v.ToString() : null;
        return new EventCollected("m1", Text("type") ?? "identify", Text("userId"), Text("anonymousId"), null, DateTimeOffset.UtcNow,
            DateTimeOffset.UtcNow, "dev", "first", message);
    }

    private static readonly IdentifierExtractor Extractor = new(new IdentityOptions());

    [Fact]
    public void Given_every_kind_of_identifier_when_extracted_then_each_is_normalised_and_ordered_by_priority()
    {
        var (ids, blocked) = Extractor.Extract(Event("""
            {"type":"identify","anonymousId":"anon-1","userId":"u1",
             "traits":{"email":"  Ann@Example.COM ","phone":"+44 (20) 7946-0958"},
             "context":{"device":{"id":"dev-9"},"externalIds":[{"id":"cus_42","type":"stripe_id"}],"traits":{"email":"ann@example.com"}}}
            """));

        Assert.Empty(blocked);
        Assert.Equal(
            [new Identifier("user_id", "u1"), new Identifier("email", "ann@example.com"), new Identifier("phone", "+442079460958"),
             new Identifier("device_id", "dev-9"), new Identifier("anonymous_id", "anon-1"), new Identifier("stripe_id", "cus_42")],
            ids);
    }

    [Theory]
    [InlineData("undefined")]
    [InlineData("null")]
    [InlineData("0000")]
    [InlineData("0-0-0")]
    [InlineData("-1")]
    [InlineData("[object Object]")]
    [InlineData("Guest")]
    [InlineData("")]
    public void Given_a_blocked_value_when_extracted_then_it_is_dropped_with_the_rule(string value)
    {
        var (ids, blocked) = Extractor.Extract(Event($$"""{"type":"track","userId":"{{value}}","anonymousId":"a-1"}"""));

        Assert.Equal([new Identifier("anonymous_id", "a-1")], ids);
        Assert.StartsWith("blocked:", Assert.Single(blocked).Rule);
    }

    [Fact]
    public void Given_a_configured_mapping_when_extracted_then_configuration_not_code_decides()
    {
        var extractor = new IdentifierExtractor(new IdentityOptions
        {
            Extract = [new ExtractionRule { From = "properties.crmId", Type = "crm_id" }],
        });

        var (ids, _) = extractor.Extract(Event("""{"type":"track","userId":"u1","properties":{"crmId":"C-7"}}"""));

        Assert.Equal([new Identifier("crm_id", "C-7")], ids);
    }
}

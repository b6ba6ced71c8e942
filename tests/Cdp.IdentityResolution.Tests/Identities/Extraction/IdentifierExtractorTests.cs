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

    [Fact]
    public void Given_a_pattern_that_backtracks_exponentially_when_a_near_miss_is_extracted_then_it_is_kept_not_blocked()
    {
        // A backtracking engine takes 2^40 steps on this value; a match timeout used to count that as "blocked", and
        // on a loaded machine so could an ordinary match, dropping a valid identifier without a word.
        var extractor = new IdentifierExtractor(new IdentityOptions { Blocked = { Patterns = [@"^(a+)+$"] } });
        var nearMiss = new string('a', 40) + "!";

        var (kept, keptBlocked) = extractor.Extract(Event($$"""{"type":"track","userId":"{{nearMiss}}"}"""));
        var (_, blocked) = extractor.Extract(Event("""{"type":"track","userId":"aaaa"}"""));

        Assert.Equal([new Identifier("user_id", nearMiss)], kept);
        Assert.Empty(keptBlocked);
        Assert.Equal("blocked:/^(a+)+$/", Assert.Single(blocked).Rule);
    }

    [Theory]
    [InlineData(@"^(.)\1$")]
    [InlineData(@"^(?=x)")]
    [InlineData(@"([")]
    public void Given_a_blocked_pattern_the_engine_cannot_run_when_checked_then_it_is_refused_by_name(string pattern)
    {
        var problem = IdentityRulesCheck.FirstProblem(new IdentityOptions { Blocked = { Patterns = [pattern] } });

        Assert.NotNull(problem);
        Assert.StartsWith($"Blocked.Patterns has '{pattern}', which cannot be used", problem);
    }
}

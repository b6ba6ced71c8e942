using Cdp.Activation.Audiences.Rules;
using static Cdp.Activation.Tests.Audiences.Rules.Snapshots;

namespace Cdp.Activation.Tests.Audiences.Rules;

public class AudienceRuleParserTests
{
    private static IReadOnlyList<RuleError> Errors(string rule)
    {
        Assert.False(AudienceRuleParser.TryParse(Json(rule), out var parsed, out var errors));
        Assert.Null(parsed);
        return errors;
    }

    [Fact]
    public void Given_an_unknown_operator_when_parsed_then_the_error_names_its_path_and_the_known_operators()
    {
        var error = Assert.Single(Errors("""{"all":[{"trait":"plan","op":"eq","value":"pro"},{"trait":"age","op":"bigger","value":3}]}"""));
        Assert.Equal("$.all[1].op", error.Path);
        Assert.Contains("unknown operator \"bigger\"", error.Problem);
        Assert.Contains("gte", error.Problem);
    }

    [Fact]
    public void Given_a_wrong_value_type_when_parsed_then_the_error_says_what_was_expected()
    {
        var error = Assert.Single(Errors("""{"trait":"age","op":"gt","value":true}"""));
        Assert.Equal("$.value", error.Path);
        Assert.Contains("number or an ISO-8601 date", error.Problem);
        Assert.Contains("$.value", Assert.Single(Errors("""{"trait":"plan","op":"in","value":"pro"}""")).Path);
        Assert.Contains("takes no value", Assert.Single(Errors("""{"trait":"plan","op":"exists","value":1}""")).Problem);
        Assert.Contains("needs a count", Assert.Single(Errors("""{"event":"Order Completed","op":"gte","value":"3"}""")).Problem);
        Assert.Contains("1 to 3650", Assert.Single(Errors("""{"trait":"d","op":"within_last_days","value":1000000}""")).Problem);
    }

    [Fact]
    public void Given_unknown_fields_when_parsed_then_each_is_reported()
    {
        var errors = Errors("""{"not":{"trait":"plan","op":"eq","value":"pro","colour":"red"}}""");
        Assert.Equal("$.not.colour", Assert.Single(errors).Path);
        Assert.Contains("needs exactly one of", Assert.Single(Errors("""{"colour":"red"}""")).Problem);
        Assert.Contains("only one of", Assert.Single(Errors("""{"trait":"a","event":"b","op":"exists"}""")).Problem);
    }

    [Fact]
    public void Given_several_problems_when_parsed_then_all_are_reported_at_once()
    {
        var errors = Errors("""{"any":[{"trait":"","op":"eq","value":1},{"event":"X","op":"gte","value":1,"within_days":91},{"data_party":"fourth"},[]]}""");
        Assert.Equal(["$.any[0].trait", "$.any[1].within_days", "$.any[2].data_party", "$.any[3]"], errors.Select(e => e.Path));
    }

    [Fact]
    public void Given_empty_groups_or_deep_nesting_when_parsed_then_they_are_refused()
    {
        Assert.Equal("$.all", Assert.Single(Errors("""{"all":[]}""")).Path);
        var deep = string.Concat(Enumerable.Repeat("""{"not":""", 20)) + """{"has_identifier":"email"}""" + new string('}', 20);
        Assert.Contains("nest", Assert.Single(Errors(deep)).Problem);
    }

    [Fact]
    public void Given_every_kind_of_condition_when_parsed_then_it_is_accepted()
    {
        Assert.True(AudienceRuleParser.TryParse(Json("""
            {"all":[
              {"trait":"plan","op":"in","value":["pro","team"]},
              {"computed":"lifetime_revenue","op":"gte","value":100},
              {"event":"Order Completed","op":"gte","value":3,"within_days":30},
              {"event":"Signed Up","op":"never"},
              {"last_seen_within_days":7},
              {"has_identifier":"email"},
              {"data_party":"third"},
              {"source":"crm"},
              {"not":{"trait":"trial_ends_at","op":"within_next_days","value":3}}
            ]}
            """), out var rule, out var errors), string.Join("; ", errors.Select(e => e.Path + " " + e.Problem)));
        Assert.True(rule!.IsTimeDependent);
    }
}

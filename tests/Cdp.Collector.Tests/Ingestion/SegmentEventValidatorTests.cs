using System.Text.Json;
using System.Text.Json.Nodes;
using Cdp.Collector.Ingestion;
using Cdp.Collector.Sources;

namespace Cdp.Collector.Tests.Ingestion;

public class SegmentEventValidatorTests
{
    private static readonly Source Source = new("web", "Web", "key", "second", true);
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private static (Cdp.Contracts.Collector.EventCollected? Event, List<FieldError> Errors) Validate(string json, string? type) =>
        SegmentEventValidator.Validate(JsonNode.Parse(json)!.AsObject(), type, null, Source, Now);

    [Theory]
    [InlineData("""{"event":"X"}""", "track", "userId")]
    [InlineData("""{"userId":"u"}""", "track", "event")]
    [InlineData("""{"userId":"u","event":""}""", "track", "event")]
    [InlineData("""{"userId":"u"}""", "group", "groupId")]
    [InlineData("""{"userId":"u"}""", "alias", "previousId")]
    [InlineData("""{"previousId":"a"}""", "alias", "userId")]
    [InlineData("""{"userId":"u","traits":[1]}""", "identify", "traits")]
    [InlineData("""{"userId":"u","event":"X","properties":"p"}""", "track", "properties")]
    [InlineData("""{"userId":"u","context":{"traits":5}}""", "identify", "context.traits")]
    [InlineData("""{"userId":"u","timestamp":"yesterday"}""", "identify", "timestamp")]
    [InlineData("""{"userId":"u","sentAt":12}""", "identify", "sentAt")]
    [InlineData("""{"userId":{"a":1}}""", "identify", "userId")]
    [InlineData("""{"userId":"u","type":"purchase"}""", null, "type")]
    public void Given_an_invalid_event_when_validating_then_the_error_names_the_field(string json, string? type, string field)
    {
        var (e, errors) = Validate(json, type);

        Assert.Null(e);
        Assert.Contains(errors, x => x.Field == field);
    }

    [Fact]
    public void Given_a_messageId_over_100_characters_when_validating_then_it_is_refused()
    {
        var (e, errors) = Validate($$"""{"userId":"u","messageId":"{{new string('m', 101)}}"}""", "identify");

        Assert.Null(e);
        Assert.Equal("messageId", Assert.Single(errors).Field);
    }

    [Fact]
    public void Given_a_valid_track_when_validating_then_free_form_json_and_unknown_fields_are_kept_exactly()
    {
        const string properties = """{"revenue":19.90,"items":[{"sku":"a-1","qty":2}],"note":null,"emoji":"é😀","big":12345678901234567890}""";
        var (e, errors) = Validate($$$"""{"userId":"u","event":"Order Completed","properties":{{{properties}}},"vendorField":{"x":[1,2]}}""", "track");

        Assert.Empty(errors);
        Assert.NotNull(e);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(properties), JsonNode.Parse(e.Message.GetProperty("properties").GetRawText())));
        Assert.Equal("19.90", e.Message.GetProperty("properties").GetProperty("revenue").GetRawText());
        Assert.Equal("12345678901234567890", e.Message.GetProperty("properties").GetProperty("big").GetRawText());
        Assert.Equal("é😀", e.Message.GetProperty("properties").GetProperty("emoji").GetString());
        Assert.Equal("""{"x":[1,2]}""", e.Message.GetProperty("vendorField").GetRawText());
        Assert.Equal("track", e.Type);
        Assert.Equal("web", e.SourceId);
        Assert.Equal("second", e.DataParty);
        Assert.Equal(Now, e.ReceivedAt);
        Assert.False(string.IsNullOrEmpty(e.MessageId));
        Assert.Equal(e.MessageId, e.Message.GetProperty("messageId").GetString());
    }

    [Fact]
    public void Given_sentAt_when_validating_then_timestamp_is_corrected_and_the_client_value_kept_as_originalTimestamp()
    {
        var (e, _) = Validate("""{"userId":"u","timestamp":"2026-11-28T13:00:00Z","sentAt":"2026-11-28T13:00:10Z"}""", "identify");

        Assert.NotNull(e);
        Assert.Equal(Now.AddSeconds(-10), e.Timestamp);
        Assert.Equal("2026-11-28T13:00:00Z", e.Message.GetProperty("originalTimestamp").GetString());
        Assert.Equal("2026-11-28T11:59:50.000Z", e.Message.GetProperty("timestamp").GetString());
        Assert.Equal("2026-11-28T12:00:00.000Z", e.Message.GetProperty("receivedAt").GetString());
    }

    [Fact]
    public void Given_originalTimestamp_and_sentAt_as_rudderstack_sends_them_when_validating_then_skew_is_corrected_from_originalTimestamp()
    {
        var (e, _) = Validate("""{"userId":"u","originalTimestamp":"2026-11-28T15:00:00Z","sentAt":"2026-11-28T15:00:30Z"}""", "identify");

        Assert.Equal(Now.AddSeconds(-30), e!.Timestamp);
        Assert.Equal("2026-11-28T15:00:00Z", e.Message.GetProperty("originalTimestamp").GetString());
    }

    [Fact]
    public void Given_an_id_seed_when_an_event_has_no_messageId_then_the_generated_id_is_the_same_every_time()
    {
        var first = SegmentEventValidator.Validate(JsonNode.Parse("""{"userId":"u"}""")!.AsObject(), "identify", 3, Source, Now, idSeed: "amqp:m-1");
        var again = SegmentEventValidator.Validate(JsonNode.Parse("""{"userId":"u"}""")!.AsObject(), "identify", 3, Source, Now, idSeed: "amqp:m-1");
        var other = SegmentEventValidator.Validate(JsonNode.Parse("""{"userId":"u"}""")!.AsObject(), "identify", 4, Source, Now, idSeed: "amqp:m-1");

        Assert.Equal(first.Event!.MessageId, again.Event!.MessageId);
        Assert.NotEqual(first.Event.MessageId, other.Event!.MessageId);
    }

    [Fact]
    public void Given_a_numeric_userId_when_validating_then_it_identifies_as_its_text()
    {
        var (e, _) = Validate("""{"userId":42,"event":"X"}""", "track");

        Assert.Equal("42", e?.UserId);
        Assert.Equal(JsonValueKind.Number, e!.Message.GetProperty("userId").ValueKind);
    }
}

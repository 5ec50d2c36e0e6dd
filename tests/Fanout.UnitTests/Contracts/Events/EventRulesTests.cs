using System.Text;
using System.Text.Json;
using Fanout.Contracts.Events;

namespace Fanout.UnitTests.Contracts.Events;

[Trait("Category", "Unit")]
public sealed class EventRulesTests
{
    [Theory]
    [InlineData("", -1)]
    [InlineData("plain", -1)]
    [InlineData("a\\ud83d\\ude00b", -1)]
    [InlineData("\\ud83d\\ude00", -1)]
    [InlineData("\\ud800", 0)]
    [InlineData("ab\\ud800", 2)]
    [InlineData("a\\ud800b", 1)]
    [InlineData("\\udc00", 0)]
    [InlineData("a\\udfff", 1)]
    [InlineData("\\ud83d\\ude00\\ude00", 2)]
    [InlineData("\\ud800\\ud800\\udc00", 0)]
    public void IndexOfUnpairedSurrogate_Text_FindsTheFirstUnpairedOne(string escaped, int expected)
    {
        // Escaped in the attribute: xUnit would replace a lone surrogate in theory data with U+FFFD.
        var text = System.Text.RegularExpressions.Regex.Unescape(escaped);

        Assert.Equal(expected, EventRules.IndexOfUnpairedSurrogate(text));
    }

    [Theory]
    [InlineData('\u0000', true)]
    [InlineData('\n', true)]
    [InlineData('\u001f', true)]
    [InlineData(' ', false)]
    [InlineData('~', false)]
    [InlineData('\u007f', true)]
    [InlineData('\u0080', true)]
    [InlineData('\u009f', true)]
    [InlineData('\u00a0', false)]
    [InlineData('é', false)]
    public void HasControlCharacter_OneCharacterAnywhere_IsFound(char c, bool expected)
    {
        Assert.Equal(expected, EventRules.HasControlCharacter(c.ToString()));
        Assert.Equal(expected, EventRules.HasControlCharacter("ab" + c + "cd"));
        Assert.Equal(expected, EventRules.HasControlCharacter("abcd" + c));
    }

    [Fact]
    public void HasControlCharacter_EmptyText_IsFalse()
    {
        Assert.False(EventRules.HasControlCharacter(""));
    }

    [Theory]
    [InlineData("0195a1b2-c3d4-8e5f-8a9b-0c1d2e3f4a5b", true)]
    [InlineData("0195a1b2-c3d4-8e5f-ba9b-0c1d2e3f4a5b", true)]
    [InlineData("0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", false)]
    [InlineData("0195a1b2-c3d4-8e5f-ca9b-0c1d2e3f4a5b", false)]
    [InlineData("0195A1B2-C3D4-8E5F-8A9B-0C1D2E3F4A5B", false)]
    [InlineData("0195a1b2-c3d4-8e5f-8a9b-0c1d2e3f4a5b\n", false)]
    [InlineData("0195a1b2-c3d4-8e5f-8a9b-0c1d2e3f4a5", false)]
    [InlineData(null, false)]
    public void IsEventId_Value_AcceptsOnlyLowerCaseUuidVersion8(string? value, bool expected)
    {
        Assert.Equal(expected, EventRules.IsEventId(value));
    }

    [Fact]
    public void IsEventId_EventIdsOutput_IsAccepted()
    {
        Assert.True(EventRules.IsEventId(EventIds.For("order", "sms", "SENT")));
    }

    [Theory]
    [InlineData("0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", true)]
    [InlineData("00000000-0000-0000-0000-000000000000", true)]
    [InlineData("0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b\n", false)]
    [InlineData("0195A1B2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", false)]
    [InlineData("{0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b}", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsOrderId_Value_AcceptsOnlyLowerCaseUuids(string? value, bool expected)
    {
        Assert.Equal(expected, EventRules.IsOrderId(value));
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(128, true)]
    [InlineData(129, false)]
    [InlineData(0, false)]
    public void IsCorrelationId_Length_Is1To128(int length, bool expected)
    {
        Assert.Equal(expected, EventRules.IsCorrelationId(new string('c', length)));
    }

    [Theory]
    [InlineData("checkout:abc-123_4.5", true)]
    [InlineData("corr-1\n", false)]
    [InlineData("corr 1", false)]
    [InlineData("corr/1", false)]
    [InlineData(null, false)]
    public void IsCorrelationId_Characters_AreLettersDigitsAndDotUnderscoreColonHyphen(string? value, bool expected)
    {
        Assert.Equal(expected, EventRules.IsCorrelationId(value));
    }

    [Theory]
    [InlineData("traceparent", true)]
    [InlineData("abcdefghij0123456789", true)]
    [InlineData("abcdefghij0123456789x", false)]
    [InlineData("", false)]
    [InlineData("traceParent", false)]
    [InlineData("trace_parent", false)]
    [InlineData("trace\n", false)]
    [InlineData(null, false)]
    public void IsAttributeName_Name_FollowsCloudEventsNaming(string? value, bool expected)
    {
        Assert.Equal(expected, EventRules.IsAttributeName(value));
    }

    [Theory]
    [InlineData("OrderPlaced", true)]
    [InlineData("com.example.Thing2", true)]
    [InlineData("2Order", false)]
    [InlineData(".Order", false)]
    [InlineData("Order-Placed", false)]
    [InlineData("OrderPlaced\n", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsType_Value_IsALetterThenLettersDigitsOrDots(string? value, bool expected)
    {
        Assert.Equal(expected, EventRules.IsType(value));
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(128, true)]
    [InlineData(129, false)]
    public void IsType_Length_IsAtMost128(int length, bool expected)
    {
        Assert.Equal(expected, EventRules.IsType(new string('T', length)));
    }

    [Theory]
    [InlineData("urn:fanout:orders", true)]
    [InlineData("https://example.com/a?b=c#d", true)]
    [InlineData("urn:fanout:orders\n", false)]
    [InlineData("urn fanout", false)]
    [InlineData("urn:fanout:ördérs", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsSource_Value_IsPrintableAsciiWithoutSpace(string? value, bool expected)
    {
        Assert.Equal(expected, EventRules.IsSource(value));
        Assert.Equal(expected, EventRules.IsProviderMessageId(value));
    }

    [Theory]
    [InlineData(256, true)]
    [InlineData(257, false)]
    public void IsSourceAndProviderMessageId_Length_IsAtMost256(int length, bool expected)
    {
        Assert.Equal(expected, EventRules.IsSource(new string('s', length)));
        Assert.Equal(expected, EventRules.IsProviderMessageId(new string('p', length)));
    }

    [Theory]
    [InlineData("2026-03-14T09:26:53Z", true)]
    [InlineData("2026-03-14T09:26:53+00:00", true)]
    [InlineData("2026-03-14T09:26:53.1+13:59", true)]
    [InlineData("2026-03-14T09:26:53.123456789-14:00", true)]
    [InlineData("2026-03-14T09:26:53-14:01", false)]
    [InlineData("2026-03-14T09:26:53+15:00", false)]
    [InlineData("2026-03-14T09:26:53.Z", false)]
    [InlineData("2026-03-14T09:26:53.1234567890Z", false)]
    [InlineData("2026-01-31T00:00:00Z", true)]
    [InlineData("2026-03-31T00:00:00Z", true)]
    [InlineData("2026-04-30T00:00:00Z", true)]
    [InlineData("2026-04-31T00:00:00Z", false)]
    [InlineData("2026-06-31T00:00:00Z", false)]
    [InlineData("2026-09-31T00:00:00Z", false)]
    [InlineData("2026-11-31T00:00:00Z", false)]
    [InlineData("2026-12-31T00:00:00Z", true)]
    [InlineData("2026-02-28T00:00:00Z", true)]
    [InlineData("2026-02-29T00:00:00Z", false)]
    [InlineData("2026-02-30T00:00:00Z", false)]
    [InlineData("2024-02-29T00:00:00Z", true)]
    [InlineData("1904-02-29T00:00:00Z", true)]
    [InlineData("1900-02-29T00:00:00Z", false)]
    [InlineData("2000-02-29T00:00:00Z", true)]
    [InlineData("2100-02-29T00:00:00Z", false)]
    [InlineData("2400-02-29T00:00:00Z", true)]
    [InlineData("2096-02-29T00:00:00Z", true)]
    [InlineData("2026-00-10T00:00:00Z", false)]
    [InlineData("2026-13-10T00:00:00Z", false)]
    [InlineData("2026-10-00T00:00:00Z", false)]
    [InlineData("2026-10-32T00:00:00Z", false)]
    [InlineData("2026-10-10T23:59:59Z", true)]
    [InlineData("2026-10-10T24:00:00Z", false)]
    [InlineData("2026-10-10T00:60:00Z", false)]
    [InlineData("2026-10-10T00:00:60Z", false)]
    [InlineData("1900-01-01T00:00:00Z", true)]
    [InlineData("1899-12-31T23:59:59Z", false)]
    [InlineData("2999-12-31T23:59:59Z", true)]
    [InlineData("3000-01-01T00:00:00Z", false)]
    [InlineData("2026-03-14T09:26:53Z\n", false)]
    [InlineData("2026-03-14T09:26:53z", false)]
    [InlineData("2026-03-14t09:26:53Z", false)]
    [InlineData("2026-03-14", false)]
    [InlineData(null, false)]
    public void IsTimestamp_Value_IsAnRfc3339DateTimeDateTimeOffsetCanHold(string? value, bool expected)
    {
        Assert.Equal(expected, EventRules.IsTimestamp(value));
        if (expected)
        {
            // Whatever the rule admits, System.Text.Json reads: the parser can never fail after the check.
            _ = JsonSerializer.Deserialize("\"" + value + "\"", ContractsJsonContext.Default.DateTimeOffset);
        }
    }

    [Theory]
    [InlineData(EventTypes.OrderPlaced, EventSources.Orders)]
    [InlineData(EventTypes.SmsSent, EventSources.Sms)]
    [InlineData(EventTypes.EmailSent, EventSources.Email)]
    [InlineData(EventTypes.InventoryReserved, EventSources.Inventory)]
    [InlineData(EventTypes.InventoryRejected, EventSources.Inventory)]
    [InlineData("OrderShipped", null)]
    [InlineData(null, null)]
    public void EventSourcesFor_Type_IsItsOnePublisher(string? type, string? expected)
    {
        Assert.Equal(expected, EventSources.For(type));
    }

    [Theory]
    [InlineData("7", 7)]
    [InlineData("7.0", 7)]
    [InlineData("7e0", 7)]
    [InlineData("70e-1", 7)]
    [InlineData("-3.000", -3)]
    [InlineData("2147483647.0", int.MaxValue)]
    [InlineData("-2147483648.0", int.MinValue)]
    [InlineData("2147483647", int.MaxValue)]
    [InlineData("-0", 0)]
    [InlineData("-0.0e-5", 0)]
    [InlineData("0e1000000000000", 0)]
    [InlineData("1E+2", 100)]
    [InlineData("0.5e1", 5)]
    [InlineData("0.000", 0)]
    [InlineData("1000000000000e-12", 1)]
    [InlineData("1e9", 1_000_000_000)]
    [InlineData("21474836.47e2", int.MaxValue)]
    [InlineData("-2147483648e0", int.MinValue)]
    [InlineData("7.00000000000000000000000000000000000000", 7)]
    [InlineData("0.0000000000000000000000000000000007e34", 7)]
    [InlineData("-12.30e1", -123)]
    public void IntegralNumberConverter_WholeValue_ReadsAsInt(string json, int expected)
    {
        Assert.Equal(expected, Read(json));
        using var document = JsonDocument.Parse(json);
        Assert.Equal(expected, IntegralNumberConverter.ReadWholeNumber(document.RootElement));
    }

    [Theory]
    [InlineData("7.5")]
    [InlineData("2147483648.0")]
    [InlineData("-2147483649.0")]
    [InlineData("2147483648")]
    [InlineData("1e400")]
    [InlineData("0.0000000000000000000000000001")]
    [InlineData("1.00000000000000000000000000001")]
    [InlineData("6.99999999999999999999999999999")]
    [InlineData("5e-1")]
    [InlineData("1e10")]
    [InlineData("1e-1000000000000")]
    [InlineData("1e1000000000000")]
    [InlineData("-2147483649e0")]
    [InlineData("12345678901")]
    [InlineData("0.00000000000000000000000000000000001")]
    [InlineData("10.01e1")]
    [InlineData("\"7\"")]
    [InlineData("null")]
    [InlineData("true")]
    public void IntegralNumberConverter_NotAWholeInt_IsRefused(string json)
    {
        Assert.Throws<JsonException>(() => Read(json));
        using var document = JsonDocument.Parse(json);
        Assert.Null(IntegralNumberConverter.ReadWholeNumber(document.RootElement));
    }

    [Fact]
    public void IntegralNumberConverter_Write_WritesAPlainInteger()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            new IntegralNumberConverter().Write(writer, 42, JsonSerializerOptions.Default);
        }

        Assert.Equal("42", Encoding.UTF8.GetString(buffer.ToArray()));
        Assert.Equal("{\"sku\":\"MUG-01\",\"quantity\":3}", JsonSerializer.Serialize(new OrderLine { Sku = "MUG-01", Quantity = 3 }, ContractsJsonContext.Default.OrderLine));
    }

    private static int Read(string json)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        reader.Read();
        return new IntegralNumberConverter().Read(ref reader, typeof(int), JsonSerializerOptions.Default);
    }
}

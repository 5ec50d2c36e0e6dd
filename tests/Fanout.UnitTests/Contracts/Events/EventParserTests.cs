using System.Security.Cryptography;
using System.Text;
using Fanout.Contracts.Events;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.Contracts.Events;

[Trait("Category", "Unit")]
public sealed class EventParserTests
{
    [Fact]
    public void Parse_WellFormedOrderPlaced_ReturnsIdCorrelationAndData()
    {
        var builder = new OrderPlacedBuilder().WithCorrelationId("corr-xyz");

        var parsed = EventParser.Parse(builder.BuildEnvelopeJson(), EventTypes.OrderPlaced, ContractsJsonContext.Default.OrderPlaced);

        Assert.Equal(builder.EventId, parsed.Id);
        Assert.Equal(EventTypes.OrderPlaced, parsed.Type);
        Assert.Equal("corr-xyz", parsed.CorrelationId);
        Assert.Equal(builder.OrderId, parsed.Data.OrderId);
        Assert.Equal("+14155550123", parsed.Data.Customer.Phone);
        Assert.Equal(TestClock.Start, parsed.Data.PlacedAt);
        Assert.Equal([("TSHIRT-RED-M", 2), ("MUG-01", 1)], parsed.Data.Items.Select(i => (i.Sku, i.Quantity)));
    }

    [Fact]
    public void Parse_CloudEventsExtensionAttributes_AreIgnored()
    {
        var body = CloudEventBuilder.OrderPlaced()
            .With("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
            .With("partitionkey", "p-1")
            .With("sequence", 42)
            .With("sampled", true)
            .Build();

        var parsed = EventParser.Parse(body, EventTypes.OrderPlaced, ContractsJsonContext.Default.OrderPlaced);

        Assert.Equal(OrderPlacedBuilder.DefaultOrderId, parsed.Data.OrderId);
        Assert.Equal("ada@example.com", parsed.Data.Customer.Email);
        Assert.Equal(("TSHIRT-RED-M", 2), (parsed.Data.Items[0].Sku, parsed.Data.Items[0].Quantity));
    }

    [Theory]
    [InlineData("data.loyaltyTier", "data.loyaltyTier")]
    [InlineData("data.customer.nickname", "data.customer.nickname")]
    [InlineData("data.items[0].colour", "data.items[0].colour")]
    public void Parse_UnknownFieldInThePayload_ThrowsPoisonNamingIt(string path, string named)
    {
        var body = CloudEventBuilder.OrderPlaced().With(path, "x").Build();

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.Parse(body, EventTypes.OrderPlaced, ContractsJsonContext.Default.OrderPlaced));
        Assert.Contains(named + " is not part of the contract", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("TraceParent", "\"x\"", "attribute name \"TraceParent\"")]
    [InlineData("trace_parent", "\"x\"", "attribute name \"trace_parent\"")]
    [InlineData("abcdefghijklmnopqrstu", "\"x\"", "attribute name \"abcdefghijklmnopqrstu\"")]
    [InlineData("nested", "{\"a\":[1,2]}", "nested must be a string, an integer or a boolean (got an object)")]
    [InlineData("nothing", "null", "nothing must be a string, an integer or a boolean (got null)")]
    [InlineData("ratio", "1.5", "ratio must be a 32-bit integer when it is a number (got 1.5)")]
    [InlineData("big", "2147483648", "big must be a 32-bit integer when it is a number (got 2147483648)")]
    [InlineData("note", "\"a\\u0007b\"", "note holds a control character")]
    public void ParseEnvelope_ExtensionAttributeBreakingCloudEventsRules_ThrowsPoisonWithTheReason(string name, string json, string reason)
    {
        var body = CloudEventBuilder.OrderPlaced().WithRaw(name, json).Build();

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.ParseEnvelope(body));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sequence", "7")]
    [InlineData("sequence", "7.0")]
    [InlineData("sequence", "-2147483648")]
    [InlineData("sampled", "false")]
    [InlineData("abcdefghijklmnopqrst", "\"twenty characters\"")]
    public void ParseEnvelope_ExtensionAttributeWithinTheRules_IsAccepted(string name, string json)
    {
        var body = CloudEventBuilder.OrderPlaced().WithRaw(name, json).Build();

        Assert.Equal(OrderPlacedBuilder.DefaultCorrelationId, EventParser.ParseEnvelope(body).CorrelationId);
    }

    // The list: a value that ends in "\n" passes a .NET "^...$" pattern, so each must be refused by name.
    [Theory]
    [InlineData("id", "id holds a control character")]
    [InlineData("source", "source holds a control character")]
    [InlineData("type", "type holds a control character")]
    [InlineData("subject", "subject holds a control character")]
    [InlineData("correlationid", "correlationid holds a control character")]
    [InlineData("time", "time holds a control character")]
    [InlineData("specversion", "specversion holds a control character")]
    [InlineData("datacontenttype", "datacontenttype holds a control character")]
    [InlineData("data.orderId", "data.orderId holds a control character")]
    [InlineData("data.customer.id", "data.customer.id holds a control character")]
    [InlineData("data.customer.email", "data.customer.email holds a control character")]
    [InlineData("data.customer.phone", "data.customer.phone holds a control character")]
    [InlineData("data.items[1].sku", "data.items[1].sku holds a control character")]
    [InlineData("data.placedAt", "data.placedAt holds a control character")]
    public void Parse_FieldEndingInNewline_ThrowsPoisonNamingIt(string path, string reason)
    {
        var builder = CloudEventBuilder.OrderPlaced();
        var body = builder.With(path, Text(builder, path) + "\n").Build();

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.Parse(body, EventTypes.OrderPlaced, ContractsJsonContext.Default.OrderPlaced));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\u0000")]
    [InlineData("\u001f")]
    [InlineData("\u007f")]
    [InlineData("\u0085")]
    [InlineData("\r")]
    [InlineData("\t")]
    public void Parse_ControlCharacterInsideAField_ThrowsPoison(string control)
    {
        var body = CloudEventBuilder.SmsSent().With("data.providerMessageId", "sms" + control + "1").Build();

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.Parse(body, EventTypes.SmsSent, ContractsJsonContext.Default.SmsSent));
        Assert.Contains("data.providerMessageId holds a control character", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"corr-\\ud800\"", "correlationid is not well-formed UTF-16")]
    [InlineData("\"\\udc00corr\"", "correlationid is not well-formed UTF-16")]
    [InlineData("\"corr-\\ud800\\ud800\"", "correlationid is not well-formed UTF-16")]
    public void ParseEnvelope_LoneSurrogateInAValue_ThrowsPoisonWithTheReason(string json, string reason)
    {
        var body = CloudEventBuilder.OrderPlaced().Build().Replace("\"corr-0001\"", json, StringComparison.Ordinal);

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.ParseEnvelope(body));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"\\ud800\":1,", "a member name in the envelope is not well-formed UTF-16")]
    [InlineData("{\"ext\":{\"\\udfff\":1},", "a member name in ext is not well-formed UTF-16")]
    public void ParseEnvelope_LoneSurrogateInAPropertyName_ThrowsPoisonWithTheReason(string prefix, string reason)
    {
        var body = prefix + CloudEventBuilder.OrderPlaced().Build()[1..];

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.ParseEnvelope(body));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseEnvelope_NullBody_ThrowsPoison()
    {
        var error = Assert.Throws<PoisonMessageException>(() => EventParser.ParseEnvelope(null));
        Assert.Equal("The message has no body.", error.Message);
    }

    [Fact]
    public void ParseEnvelope_RawLoneSurrogateInTheBody_ThrowsPoisonWithItsPosition()
    {
        var body = "{\"id\":\"a" + '\ud800' + "\"}";

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.ParseEnvelope(body));
        Assert.Contains("unpaired surrogate at character 8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseEnvelope_SurrogatePairInAnExtension_IsAccepted()
    {
        var body = CloudEventBuilder.OrderPlaced().WithRaw("mood", "\"\\ud83d\\ude00\"").Build();

        Assert.NotNull(EventParser.ParseEnvelope(body));
    }

    [Fact]
    public void ParseEnvelope_DuplicateMemberName_ThrowsPoison()
    {
        var body = "{\"correlationid\":\"other\"," + CloudEventBuilder.OrderPlaced().Build()[1..];

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.ParseEnvelope(body));
        Assert.Contains("correlationid", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2", 2)]
    [InlineData("2.0", 2)]
    [InlineData("2e0", 2)]
    [InlineData("2E+0", 2)]
    [InlineData("20e-1", 2)]
    [InlineData("1e3", 1000)]
    [InlineData("1000.000", 1000)]
    [InlineData("1", 1)]
    public void Parse_QuantityWithAWholeValue_ReadsAsThatNumber(string json, int expected)
    {
        var body = CloudEventBuilder.OrderPlaced().WithRaw("data.items[0].quantity", json).Build();

        var parsed = EventParser.Parse(body, EventTypes.OrderPlaced, ContractsJsonContext.Default.OrderPlaced);

        Assert.Equal(expected, parsed.Data.Items[0].Quantity);
    }

    [Theory]
    [InlineData("2.5", "(got 2.5)")]
    [InlineData("1e400", "(got 1e400)")]
    [InlineData("-1e400", "(got -1e400)")]
    [InlineData("1e-400", "(got 1e-400)")]
    [InlineData("0.0", "(got 0.0)")]
    [InlineData("1000.5", "(got 1000.5)")]
    [InlineData("1001.0", "(got 1001.0)")]
    [InlineData("99999999999999999999", "(got 99999999999999999999)")]
    [InlineData("\"5\"", "(got a string)")]
    [InlineData("null", "(got null)")]
    public void Parse_QuantityNotAWholeNumberFrom1To1000_ThrowsPoisonWithTheReason(string json, string got)
    {
        var body = CloudEventBuilder.OrderPlaced().WithRaw("data.items[0].quantity", json).Build();

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.Parse(body, EventTypes.OrderPlaced, ContractsJsonContext.Default.OrderPlaced));
        Assert.Contains("data.items[0].quantity must be a whole number from 1 to 1000 " + got, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2026-03-14T09:26:53Z", "2026-03-14T09:26:53.0000000+00:00")]
    [InlineData("2026-03-14T09:26:53.123456789-05:30", "2026-03-14T09:26:53.1234567-05:30")]
    [InlineData("2024-02-29T00:00:00+14:00", "2024-02-29T00:00:00.0000000+14:00")]
    [InlineData("2000-02-29T23:59:59-14:00", "2000-02-29T23:59:59.0000000-14:00")]
    [InlineData("1900-01-31T00:00:00Z", "1900-01-31T00:00:00.0000000+00:00")]
    [InlineData("2999-12-31T23:59:59Z", "2999-12-31T23:59:59.0000000+00:00")]
    public void ParseEnvelope_Rfc3339Time_IsAccepted(string time, string roundTrip)
    {
        var body = CloudEventBuilder.OrderPlaced().With("time", time).Build();

        Assert.Equal(roundTrip, EventParser.ParseEnvelope(body).Time!.Value.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("2026-03-14")]
    [InlineData("2026-03-14T09:26:53")]
    [InlineData("2026-03-14 09:26:53Z")]
    [InlineData("2026-03-14t09:26:53z")]
    [InlineData("2026-02-29T00:00:00Z")]
    [InlineData("1900-02-29T00:00:00Z")]
    [InlineData("2026-04-31T00:00:00Z")]
    [InlineData("2026-13-01T00:00:00Z")]
    [InlineData("2026-03-14T24:00:00Z")]
    [InlineData("2026-03-14T23:60:00Z")]
    [InlineData("2026-03-14T23:59:60Z")]
    [InlineData("2026-03-14T09:26:53+14:01")]
    [InlineData("2026-03-14T09:26:53+0000")]
    [InlineData("2026-03-14T09:26:53.1234567890Z")]
    [InlineData("1899-12-31T23:59:59Z")]
    [InlineData("3000-01-01T00:00:00Z")]
    public void ParseEnvelope_TimeNotRfc3339_ThrowsPoisonWithTheReason(string time)
    {
        var body = CloudEventBuilder.OrderPlaced().With("time", time).Build();

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.ParseEnvelope(body));
        Assert.Contains("time must be an RFC 3339 date-time", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("specversion")]
    [InlineData("id")]
    [InlineData("source")]
    [InlineData("type")]
    [InlineData("time")]
    [InlineData("correlationid")]
    [InlineData("data")]
    public void ParseEnvelope_RequiredFieldMissing_ThrowsPoisonNamingIt(string field)
    {
        var body = CloudEventBuilder.OrderPlaced().Without(field).Build();

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.ParseEnvelope(body));
        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("id", "\"\"")]
    [InlineData("source", "\"  \"")]
    [InlineData("type", "\"\"")]
    [InlineData("correlationid", "\" \"")]
    [InlineData("id", "null")]
    [InlineData("time", "null")]
    public void ParseEnvelope_RequiredFieldBlankOrNull_ThrowsPoison(string field, string json)
    {
        var body = CloudEventBuilder.OrderPlaced().WithRaw(field, json).Build();

        Assert.Throws<PoisonMessageException>(() => EventParser.ParseEnvelope(body));
    }

    [Theory]
    [InlineData("\"0.3\"")]
    [InlineData("\"1\"")]
    [InlineData("\"1.0.0\"")]
    [InlineData("\" 1.0\"")]
    [InlineData("1.0")]
    public void ParseEnvelope_SpecVersionNot1Point0_ThrowsPoison(string json)
    {
        var body = CloudEventBuilder.OrderPlaced().WithRaw("specversion", json).Build();

        Assert.Throws<PoisonMessageException>(() => EventParser.ParseEnvelope(body));
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"{}\"")]
    [InlineData("null")]
    [InlineData("42")]
    [InlineData("true")]
    public void ParseEnvelope_DataNotAnObject_ThrowsPoison(string json)
    {
        var body = CloudEventBuilder.OrderPlaced().WithRaw("data", json).Build();

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.ParseEnvelope(body));
        Assert.Contains("data", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("\"an event\"")]
    [InlineData("{\"specversion\":\"1.0\",}")]
    public void ParseEnvelope_NotAJsonObject_ThrowsPoison(string body)
    {
        Assert.Throws<PoisonMessageException>(() => EventParser.ParseEnvelope(body));
    }

    [Theory]
    [InlineData("\"yesterday\"")]
    [InlineData("1773480413")]
    public void ParseEnvelope_TimeNotATimestamp_ThrowsPoison(string json)
    {
        Assert.Throws<PoisonMessageException>(() => EventParser.ParseEnvelope(CloudEventBuilder.OrderPlaced().WithRaw("time", json).Build()));
    }

    [Fact]
    public void Parse_UnexpectedType_ThrowsPoison()
    {
        var body = CloudEventBuilder.SmsSent().Build();

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.Parse(body, EventTypes.OrderPlaced, ContractsJsonContext.Default.OrderPlaced));
        Assert.Contains(EventTypes.SmsSent, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("data.orderId", "\"\"")]
    [InlineData("data.customer", "null")]
    [InlineData("data.customer.email", "\"not-an-email\"")]
    [InlineData("data.customer.phone", "\"555-0123\"")]
    [InlineData("data.items", "[]")]
    [InlineData("data.items", "null")]
    [InlineData("data.items[0]", "null")]
    [InlineData("data.items[0].quantity", "0")]
    [InlineData("data.items[0].quantity", "1001")]
    [InlineData("data.items[0].quantity", "\"5\"")]
    [InlineData("data.items[0].quantity", "1.5")]
    [InlineData("data.items[0].sku", "\"mug\"")]
    [InlineData("data.placedAt", "\"soon\"")]
    public void Parse_OrderPlacedBreakingItsRules_ThrowsPoison(string path, string json)
    {
        var body = CloudEventBuilder.OrderPlaced().WithRaw(path, json).Build();

        Assert.Throws<PoisonMessageException>(() => EventParser.Parse(body, EventTypes.OrderPlaced, ContractsJsonContext.Default.OrderPlaced));
    }

    [Fact]
    public void Parse_OrderPlacedWithFiftyOneLines_ThrowsPoison()
    {
        var lines = new System.Text.Json.Nodes.JsonArray([.. Enumerable.Range(1, 51).Select(i => (System.Text.Json.Nodes.JsonNode?)new System.Text.Json.Nodes.JsonObject { ["sku"] = $"SKU-{i}", ["quantity"] = 1 })]);
        var body = CloudEventBuilder.OrderPlaced().With("data.items", lines).Build();

        Assert.Throws<PoisonMessageException>(() => EventParser.Parse(body, EventTypes.OrderPlaced, ContractsJsonContext.Default.OrderPlaced));
    }

    [Theory]
    [InlineData("\"MAYBE\"")]
    [InlineData("\"sent\"")]
    [InlineData("null")]
    public void Parse_SmsSentWithUnknownDelivery_ThrowsPoison(string json)
    {
        var body = CloudEventBuilder.SmsSent().WithRaw("data.delivery", json).Build();

        Assert.Throws<PoisonMessageException>(() => EventParser.Parse(body, EventTypes.SmsSent, ContractsJsonContext.Default.SmsSent));
    }

    [Fact]
    public void Parse_OutcomeWithoutOrderId_ThrowsPoison()
    {
        var body = CloudEventBuilder.EmailSent().Without("data.orderId").Build();

        Assert.Throws<PoisonMessageException>(() => EventParser.Parse(body, EventTypes.EmailSent, ContractsJsonContext.Default.EmailSent));
    }

    public static TheoryData<string, string, string?, string> TypedEnvelopeBreaks => new()
    {
        { EventTypes.OrderPlaced, "source", "\"urn:fanout:sms\"", "source must be \"urn:fanout:orders\" for OrderPlaced (got \"urn:fanout:sms\")" },
        { EventTypes.SmsSent, "source", "\"urn:fanout:orders\"", "source must be \"urn:fanout:sms\" for SmsSent (got \"urn:fanout:orders\")" },
        { EventTypes.EmailSent, "source", "\"urn:fanout:sms\"", "source must be \"urn:fanout:email\" for EmailSent" },
        { EventTypes.InventoryReserved, "source", "\"urn:fanout:email\"", "source must be \"urn:fanout:inventory\" for InventoryReserved" },
        { EventTypes.InventoryRejected, "source", "\"urn:fanout:email\"", "source must be \"urn:fanout:inventory\" for InventoryRejected" },
        { EventTypes.OrderPlaced, "subject", null, "subject is missing" },
        { EventTypes.OrderPlaced, "datacontenttype", null, "datacontenttype is missing" },
        { EventTypes.OrderPlaced, "data.orderId", "\"o-1\"", "data.orderId must be a lower-case UUID (got \"o-1\")" },
        { EventTypes.OrderPlaced, "data.customer", "null", "data.customer must be a JSON object (got null)" },
        { EventTypes.OrderPlaced, "data.customer", null, "data.customer is missing" },
        { EventTypes.OrderPlaced, "data.customer.id", "\"has space\"", "data.customer.id must be 1 to 64 letters, digits, '.', '_' or '-' (got 9 characters, not shown)" },
        { EventTypes.OrderPlaced, "data.customer.email", "\"a..b@example.com\"", "data.customer.email must be an e-mail address of at most 254 characters (got 16 characters, not shown)" },
        { EventTypes.OrderPlaced, "data.customer.phone", "null", "data.customer.phone must be a string (got null)" },
        { EventTypes.OrderPlaced, "data.customer.phone", "\"555\"", "data.customer.phone must be E.164, e.g. +14155550123 (got 3 characters, not shown)" },
        { EventTypes.OrderPlaced, "data.items", "[]", "data.items must hold 1 to 50 items (got 0)" },
        { EventTypes.OrderPlaced, "data.items", "{}", "data.items must be an array (got an object)" },
        { EventTypes.OrderPlaced, "data.items[0]", "[1]", "data.items[0] must be a JSON object (got an array)" },
        { EventTypes.OrderPlaced, "data.items[1].sku", "\"mug\"", "data.items[1].sku must be 3 to 32 upper-case letters or digits in hyphen-separated groups (got \"mug\")" },
        { EventTypes.OrderPlaced, "data.items[1].sku", "7", "data.items[1].sku must be a string (got a number)" },
        { EventTypes.OrderPlaced, "data.items[1].sku", "true", "data.items[1].sku must be a string (got a boolean)" },
        { EventTypes.OrderPlaced, "data.items[1].quantity", null, "data.items[1].quantity is missing" },
        { EventTypes.OrderPlaced, "data.placedAt", "\"soon\"", "data.placedAt must be an RFC 3339 date-time such as 2026-03-14T09:26:53Z (got \"soon\")" },
        { EventTypes.SmsSent, "data.delivery", "\"MAYBE\"", "data.delivery must be SENT or SKIPPED (got \"MAYBE\")" },
        { EventTypes.SmsSent, "data.providerMessageId", null, "data.providerMessageId is missing" },
        { EventTypes.SmsSent, "data.providerMessageId", "\"has space\"", "data.providerMessageId must be 1 to 256 printable ASCII characters (got \"has space\")" },
        { EventTypes.SmsSent, "data.extra", "1", "data.extra is not part of the contract (payload objects are closed)" },
        { EventTypes.EmailSent, "data.providerMessageId", null, "data.providerMessageId is missing" },
        { EventTypes.EmailSent, "data.orderId", null, "data.orderId is missing" },
        { EventTypes.EmailSent, "data.items", "[]", "data.items is not part of the contract" },
        { EventTypes.InventoryReserved, "data.items[0].quantity", "0", "data.items[0].quantity must be a whole number from 1 to 1000 (got 0)" },
        { EventTypes.InventoryReserved, "data.reason", "\"x\"", "data.reason is not part of the contract" },
        { EventTypes.InventoryRejected, "data.reason", "\"OUT_OF_LUCK\"", "data.reason must be INSUFFICIENT_STOCK (got \"OUT_OF_LUCK\")" },
        { EventTypes.InventoryRejected, "data.unavailableSkus", "[\"MUG-01\",\"CAP-02\",\"MUG-01\"]", "data.unavailableSkus[2] repeats \"MUG-01\" (the SKUs are unique)" },
        { EventTypes.InventoryRejected, "data.unavailableSkus", "[\"mug\"]", "data.unavailableSkus[0] must be 3 to 32 upper-case letters" },
        { EventTypes.InventoryRejected, "data.unavailableSkus", "[]", "data.unavailableSkus must hold 1 to 50 items (got 0)" },
        { EventTypes.InventoryRejected, "data.items", "[]", "data.items is not part of the contract" },
    };

    [Theory]
    [MemberData(nameof(TypedEnvelopeBreaks))]
    public void Parse_EventBreakingItsTypesRules_ThrowsPoisonWithTheReason(string type, string path, string? json, string reason)
    {
        var builder = Sample(type);
        var body = (json is null ? builder.Without(path) : builder.WithRaw(path, json)).Build();

        var error = Assert.Throws<PoisonMessageException>(() => ParseAs(type, body));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.StartsWith(type + " " + builder.Id + " breaks its schema: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SkippedSmsWithAProviderMessageId_ThrowsPoisonWithTheReason()
    {
        var body = CloudEventBuilder.SmsSent(SmsDelivery.Skipped, null).With("data.providerMessageId", "sms-1").Build();

        var error = Assert.Throws<PoisonMessageException>(() => ParseAs(EventTypes.SmsSent, body));
        Assert.Contains("data.providerMessageId must be absent when delivery is SKIPPED", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SkippedSmsWithoutAProviderMessageId_IsAccepted()
    {
        var parsed = EventParser.Parse(CloudEventBuilder.SmsSent(SmsDelivery.Skipped, null).Build(), EventTypes.SmsSent, ContractsJsonContext.Default.SmsSent);

        Assert.Equal((SmsDelivery.Skipped, (string?)null), (parsed.Data.Delivery, parsed.Data.ProviderMessageId));
    }

    [Fact]
    public void Parse_SeveralProblems_ReportsEveryOne()
    {
        var body = CloudEventBuilder.OrderPlaced().With("data.orderId", "o-1").With("data.items[0].quantity", 0).With("data.customer.email", "x").Build();

        var error = Assert.Throws<PoisonMessageException>(() => ParseAs(EventTypes.OrderPlaced, body));
        Assert.Contains("data.orderId must be", error.Message, StringComparison.Ordinal);
        Assert.Contains("data.items[0].quantity must be", error.Message, StringComparison.Ordinal);
        Assert.Contains("data.customer.email must be", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseEnvelope_LongValue_IsQuotedEscapedAndCutInTheReason()
    {
        var body = CloudEventBuilder.OrderPlaced().With("correlationid", new string('x', 100) + " y").Build();

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.ParseEnvelope(body));
        Assert.Contains("(got \"" + new string('x', 64) + "…\")", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseEnvelope_ControlCharacterInAValue_IsEscapedInTheReason()
    {
        var body = CloudEventBuilder.OrderPlaced().With("correlationid", "a\u001bb").Build();

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.ParseEnvelope(body));
        Assert.Contains("correlationid holds a control character (got \"a\\u001Bb\")", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', error.Message);
    }

    [Fact]
    public void ParseEnvelope_UnknownType_IsAcceptedForTheCallerToRefuse()
    {
        var envelope = EventParser.ParseEnvelope(CloudEventBuilder.SmsSent().With("type", "com.example.OrderShipped").Build());

        Assert.Equal("com.example.OrderShipped", envelope.Type);
    }

    [Theory]
    [InlineData("type", "\"Order Placed\"", "type must be a letter then up to 127 letters, digits or dots (got \"Order Placed\")")]
    [InlineData("source", "\"urn fanout\"", "source must be 1 to 256 printable ASCII characters (got \"urn fanout\")")]
    [InlineData("id", "\"order-1\"", "id must be a lower-case UUID version 8 (EventIds.For) (got \"order-1\")")]
    [InlineData("correlationid", "\"has space\"", "correlationid must be 1 to 128 letters, digits, '.', '_', ':' or '-' (got \"has space\")")]
    [InlineData("specversion", "\"0.3\"", "specversion must be \"1.0\" (got \"0.3\")")]
    [InlineData("specversion", "1.0", "specversion must be a string (got a number)")]
    [InlineData("data", "\"{}\"", "data must be a JSON object (got a string)")]
    [InlineData("subject", "\"ORDER\"", "subject must be a lower-case UUID (the order id) (got \"ORDER\")")]
    [InlineData("datacontenttype", "\"text/plain\"", "datacontenttype must be \"application/json\" (got \"text/plain\")")]
    public void ParseEnvelope_AttributeBreakingItsRule_ThrowsPoisonWithTheReason(string path, string json, string reason)
    {
        var body = CloudEventBuilder.OrderPlaced().WithRaw(path, json).Build();

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.ParseEnvelope(body));
        Assert.StartsWith("Invalid CloudEvent envelope: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_EnvelopeOfAnotherType_ThrowsPoison()
    {
        var envelope = EventParser.ParseEnvelope(CloudEventBuilder.SmsSent().Build());

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.Bind(envelope, ContractsJsonContext.Default.OrderPlaced));
        Assert.Equal("expected a OrderPlaced event, got \"SmsSent\"", error.Message);
    }

    [Fact]
    public void Bind_HandMadeEnvelopeWithoutData_ThrowsPoison()
    {
        var envelope = new RawCloudEvent { Id = "e", Type = EventTypes.EmailSent };

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.Bind(envelope, ContractsJsonContext.Default.EmailSent));
        Assert.Contains("data must be a JSON object", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_HandMadeEnvelopeWithALoneSurrogateInData_ThrowsPoison()
    {
        using var document = System.Text.Json.JsonDocument.Parse("{\"orderId\":\"\\ud800\"}");
        var envelope = new RawCloudEvent { Id = "e", Type = EventTypes.EmailSent, Data = document.RootElement.Clone() };

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.Bind(envelope, ContractsJsonContext.Default.EmailSent));
        Assert.Contains("data.orderId is not well-formed UTF-16", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_HandMadeEnvelopeBreakingTheTypedAttributes_ThrowsPoisonWithEveryReason()
    {
        var parsed = EventParser.ParseEnvelope(CloudEventBuilder.EmailSent().Build());
        var envelope = new RawCloudEvent { Id = parsed.Id, Type = parsed.Type, Source = parsed.Source, Subject = "ORDER", DataContentType = "text/plain", Data = parsed.Data };

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.Bind(envelope, ContractsJsonContext.Default.EmailSent));
        Assert.Contains("subject must be a lower-case UUID (the order id); datacontenttype must be \"application/json\".", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bind_ParsedEnvelope_CarriesIdTypeCorrelationAndHash()
    {
        var envelope = EventParser.ParseEnvelope(CloudEventBuilder.EmailSent().Build());

        var parsed = EventParser.Bind(envelope, ContractsJsonContext.Default.EmailSent);

        Assert.Equal((envelope.Id, EventTypes.EmailSent, OrderPlacedBuilder.DefaultCorrelationId, "email-1"), (parsed.Id, parsed.Type, parsed.CorrelationId, parsed.Data.ProviderMessageId));
        Assert.Equal(EventParser.HashPayload(envelope.Data), parsed.PayloadHash);
    }

    [Fact]
    public void Bind_PayloadTypeWithoutAContract_IsOnlyDeserialized()
    {
        var envelope = EventParser.ParseEnvelope(CloudEventBuilder.OrderPlaced().Build());

        var parsed = EventParser.Bind(envelope, ContractsJsonContext.Default.CustomerInfo);

        Assert.Equal(string.Empty, parsed.Data.Email);
        Assert.Equal(EventParser.HashPayload(envelope.Data), parsed.PayloadHash);
    }

    [Fact]
    public void Parse_PayloadHash_IsSha256OfTheRawDataText()
    {
        const string data = "{\"orderId\":\"0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b\",  \"notification\":\"ORDER_RECEIVED\",\"delivery\":\"SKIPPED\"}";
        var body = "{\"specversion\":\"1.0\",\"id\":\"11111111-2222-8333-9444-555555555555\",\"source\":\"urn:fanout:sms\",\"type\":\"SmsSent\"," +
            "\"subject\":\"0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b\",\"time\":\"2026-03-14T09:26:53Z\",\"datacontenttype\":\"application/json\",\"correlationid\":\"c\",\"data\":" + data + "}";

        var parsed = EventParser.Parse(body, EventTypes.SmsSent, ContractsJsonContext.Default.SmsSent);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(data))), parsed.PayloadHash);
    }

    [Fact]
    public void Parse_SameDataInADifferentEnvelope_HasTheSamePayloadHash()
    {
        var original = CloudEventBuilder.OrderPlaced().Build();
        var redelivered = CloudEventBuilder.OrderPlaced().With("time", "2027-01-01T00:00:00+00:00").With("correlationid", "other").Build();

        Assert.Equal(Hash(original), Hash(redelivered));
    }

    [Fact]
    public void Parse_DifferentData_HasADifferentPayloadHash()
    {
        var original = CloudEventBuilder.OrderPlaced().Build();
        var changed = CloudEventBuilder.OrderPlaced().With("data.items[0].quantity", 3).Build();

        Assert.NotEqual(Hash(original), Hash(changed));
    }

    private static CloudEventBuilder Sample(string type) => type switch
    {
        EventTypes.OrderPlaced => CloudEventBuilder.OrderPlaced(),
        EventTypes.SmsSent => CloudEventBuilder.SmsSent(),
        EventTypes.EmailSent => CloudEventBuilder.EmailSent(),
        EventTypes.InventoryReserved => CloudEventBuilder.InventoryReserved(),
        _ => CloudEventBuilder.InventoryRejected(),
    };

    private static object ParseAs(string type, string body) => type switch
    {
        EventTypes.OrderPlaced => EventParser.Parse(body, type, ContractsJsonContext.Default.OrderPlaced),
        EventTypes.SmsSent => EventParser.Parse(body, type, ContractsJsonContext.Default.SmsSent),
        EventTypes.EmailSent => EventParser.Parse(body, type, ContractsJsonContext.Default.EmailSent),
        EventTypes.InventoryReserved => EventParser.Parse(body, type, ContractsJsonContext.Default.InventoryReserved),
        _ => EventParser.Parse(body, type, ContractsJsonContext.Default.InventoryRejected),
    };

    private static string Text(CloudEventBuilder builder, string path)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(builder.Build())!;
        foreach (var step in path.Replace("]", "", StringComparison.Ordinal).Split('.', '['))
        {
            node = int.TryParse(step, System.Globalization.CultureInfo.InvariantCulture, out var index) ? node[index]! : node[step]!;
        }

        return node.GetValue<string>();
    }

    private static string Hash(string body) => EventParser.Parse(body, EventTypes.OrderPlaced, ContractsJsonContext.Default.OrderPlaced).PayloadHash;
}

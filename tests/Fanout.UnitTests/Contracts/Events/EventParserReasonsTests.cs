using System.Text.Json;
using System.Text.Json.Nodes;
using Fanout.Contracts.Events;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.Contracts.Events;

/// <summary>The whole text of each refusal, not a fragment of it: a reason is what an operator reads in the DLQ, so
/// its path, wording and joining are part of the contract. Also both sides of every size limit.</summary>
[Trait("Category", "Unit")]
public sealed class EventParserReasonsTests
{
    private const string Envelope = "Invalid CloudEvent envelope: ";

    [Fact]
    public void ParseEnvelope_RawLoneSurrogateAsTheFirstCharacter_ThrowsPoisonAtPositionZero()
    {
        var error = Assert.Throws<PoisonMessageException>(() => EventParser.ParseEnvelope('\udc00' + "{}"));

        Assert.Equal("The message body is not well-formed UTF-16: an unpaired surrogate at character 0.", error.Message);
    }

    [Fact]
    public void ParseEnvelope_StringBodyWithAnEscapedLoneSurrogate_NamesTheBody()
    {
        var error = Assert.Throws<PoisonMessageException>(() => EventParser.ParseEnvelope("\"\\ud800\""));

        Assert.Equal("The message body is not a CloudEvent JSON object: the body is not well-formed UTF-16 (an unpaired surrogate)", error.Message);
    }

    [Fact]
    public void ParseEnvelope_EscapedLoneSurrogateInTheSecondArrayItem_NamesItsIndex()
    {
        var body = CloudEventBuilder.OrderPlaced().Build().Replace("\"MUG-01\"", "\"\\ud800\"", StringComparison.Ordinal);

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.ParseEnvelope(body));

        Assert.Equal("The message body is not a CloudEvent JSON object: data.items[1].sku is not well-formed UTF-16 (an unpaired surrogate)", error.Message);
    }

    [Fact]
    public void ParseEnvelope_EscapedLoneSurrogateInAMemberName_NamesTheEnvelope()
    {
        var body = "{\"\\ud800\":1," + CloudEventBuilder.OrderPlaced().Build()[1..];

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.ParseEnvelope(body));

        Assert.Equal("The message body is not a CloudEvent JSON object: a member name in the envelope is not well-formed UTF-16 (an unpaired surrogate)", error.Message);
        Assert.IsType<InvalidOperationException>(error.InnerException);
    }

    [Theory]
    [InlineData("[]", "an array")]
    [InlineData("null", "null")]
    [InlineData("42", "a number")]
    [InlineData("true", "a boolean")]
    [InlineData("false", "a boolean")]
    [InlineData("\"x\"", "a string")]
    public void ParseEnvelope_NotAnObject_NamesWhatItIs(string body, string kind)
    {
        var error = Assert.Throws<PoisonMessageException>(() => EventParser.ParseEnvelope(body));

        Assert.Equal($"The message body is {kind}, not a CloudEvent JSON object.", error.Message);
    }

    [Fact]
    public void ParseEnvelope_BrokenJson_KeepsTheJsonExceptionAsTheCause()
    {
        var error = Assert.Throws<PoisonMessageException>(() => EventParser.ParseEnvelope("{"));

        Assert.StartsWith("The message body is not a CloudEvent JSON object: ", error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<JsonException>(error.InnerException);
    }

    public static TheoryData<string, string?, string> EnvelopeBreaks => new()
    {
        { "specversion", null, "specversion is missing" },
        { "specversion", "\"0.3\"", "specversion must be \"1.0\" (got \"0.3\")" },
        { "id", "\"order-1\"", "id must be a lower-case UUID version 8 (EventIds.For) (got \"order-1\")" },
        { "source", "\"urn fanout\"", "source must be 1 to 256 printable ASCII characters (got \"urn fanout\")" },
        { "type", "\"Order Placed\"", "type must be a letter then up to 127 letters, digits or dots (got \"Order Placed\")" },
        { "subject", "\"ORDER\"", "subject must be a lower-case UUID (the order id) (got \"ORDER\")" },
        { "time", "\"soon\"", "time must be an RFC 3339 date-time such as 2026-03-14T09:26:53Z (got \"soon\")" },
        { "time", "0", "time must be a string (got a number)" },
        { "datacontenttype", "\"text/plain\"", "datacontenttype must be \"application/json\" (got \"text/plain\")" },
        { "correlationid", "\"has space\"", "correlationid must be 1 to 128 letters, digits, '.', '_', ':' or '-' (got \"has space\")" },
        { "correlationid", "\"a\\nb\"", "correlationid holds a control character (got \"a\\nb\")" },
        { "data", null, "data is missing" },
        { "data", "[]", "data must be a JSON object (got an array)" },
        { "Ext", "null", "attribute name \"Ext\" is not 1 to 20 lower-case letters or digits (CloudEvents 1.0)" },
        { "ratio", "0.5", "ratio must be a 32-bit integer when it is a number (got 0.5)" },
        { "tags", "[]", "tags must be a string, an integer or a boolean (got an array)" },
        { "note", "\"\\u0000\"", "note holds a control character (got \"\\u0000\")" },
    };

    [Theory]
    [MemberData(nameof(EnvelopeBreaks))]
    public void ParseEnvelope_OneBrokenAttribute_GivesExactlyItsReason(string path, string? json, string reason)
    {
        var builder = CloudEventBuilder.OrderPlaced();
        var body = (json is null ? builder.Without(path) : builder.WithRaw(path, json)).Build();

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.ParseEnvelope(body));

        Assert.Equal(Envelope + reason + ".", error.Message);
    }

    [Fact]
    public void ParseEnvelope_SeveralBrokenAttributes_JoinsEveryReasonInCheckingOrder()
    {
        var body = CloudEventBuilder.OrderPlaced().WithRaw("correlationid", "\"\"").WithRaw("type", "\"1x\"").WithRaw("zz", "null").Build();

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.ParseEnvelope(body));

        Assert.Equal(
            Envelope + "type must be a letter then up to 127 letters, digits or dots (got \"1x\"); " +
            "correlationid must be 1 to 128 letters, digits, '.', '_', ':' or '-' (got \"\"); zz must be a string, an integer or a boolean (got null).",
            error.Message);
    }

    [Theory]
    [InlineData("ext", "\"\"")]
    [InlineData("ext", "\" any text, even spaces \"")]
    [InlineData("ext", "true")]
    [InlineData("ext", "-1")]
    public void ParseEnvelope_ExtensionOfAnyStringIntegerOrBoolean_IsAccepted(string name, string json)
    {
        var body = CloudEventBuilder.OrderPlaced().WithRaw(name, json).Build();

        Assert.Equal(EventTypes.OrderPlaced, EventParser.ParseEnvelope(body).Type);
    }

    [Theory]
    [InlineData(64, "")]
    [InlineData(65, "…")]
    public void ParseEnvelope_ValueAroundTheQuoteLimit_IsCutOnlyBeyond64Characters(int length, string ellipsis)
    {
        var value = " " + new string('x', length - 1);
        var body = CloudEventBuilder.OrderPlaced().With("correlationid", value).Build();

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.ParseEnvelope(body));

        Assert.EndsWith("(got \"" + value[..64] + ellipsis + "\").", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string?, string> TypedBreaks => new()
    {
        { EventTypes.OrderPlaced, "data.customer", null, "data.customer is missing" },
        { EventTypes.OrderPlaced, "data.customer", "null", "data.customer must be a JSON object (got null)" },
        { EventTypes.OrderPlaced, "data.customer", "[]", "data.customer must be a JSON object (got an array)" },
        { EventTypes.OrderPlaced, "data.customer.id", null, "data.customer.id is missing" },
        { EventTypes.OrderPlaced, "data.customer.email", null, "data.customer.email is missing" },
        { EventTypes.OrderPlaced, "data.customer.vip", "true", "data.customer.vip is not part of the contract (payload objects are closed)" },
        { EventTypes.OrderPlaced, "data.items", null, "data.items is missing" },
        { EventTypes.OrderPlaced, "data.items", "null", "data.items must be an array (got null)" },
        { EventTypes.OrderPlaced, "data.items[0]", "\"MUG-01\"", "data.items[0] must be a JSON object (got a string)" },
        { EventTypes.OrderPlaced, "data.items[1].quantity", "1001", "data.items[1].quantity must be a whole number from 1 to 1000 (got 1001)" },
        { EventTypes.OrderPlaced, "data.items[1].quantity", "true", "data.items[1].quantity must be a whole number from 1 to 1000 (got a boolean)" },
        { EventTypes.OrderPlaced, "data.placedAt", null, "data.placedAt is missing" },
        { EventTypes.OrderPlaced, "subject", null, "subject is missing" },
        { EventTypes.OrderPlaced, "datacontenttype", null, "datacontenttype is missing" },
        { EventTypes.SmsSent, "data.delivery", null, "data.delivery is missing" },
        { EventTypes.SmsSent, "data.providerMessageId", null, "data.providerMessageId is missing" },
        { EventTypes.EmailSent, "data.providerMessageId", "\"\"", "data.providerMessageId must be 1 to 256 printable ASCII characters (got \"\")" },
        { EventTypes.InventoryReserved, "data.items", null, "data.items is missing" },
        { EventTypes.InventoryReserved, "data.orderId", "\"ORDER\"", "data.orderId must be a lower-case UUID (got \"ORDER\")" },
        { EventTypes.InventoryRejected, "data.reason", null, "data.reason is missing" },
        { EventTypes.InventoryRejected, "data.unavailableSkus", null, "data.unavailableSkus is missing" },
        { EventTypes.InventoryRejected, "data.unavailableSkus", "[7]", "data.unavailableSkus[0] must be a string (got a number)" },
        { EventTypes.InventoryRejected, "data.unavailableSkus", "[\"MUG-01\",\"mug\"]", "data.unavailableSkus[1] must be 3 to 32 upper-case letters or digits in hyphen-separated groups (got \"mug\")" },
        { EventTypes.InventoryRejected, "data.unavailableSkus", "[\"MUG-01\",\"MUG-01\"]", "data.unavailableSkus[1] repeats \"MUG-01\" (the SKUs are unique)" },
        { EventTypes.InventoryRejected, "data.items", "[]", "data.items is not part of the contract (payload objects are closed)" },
    };

    [Theory]
    [MemberData(nameof(TypedBreaks))]
    public void Parse_OneBrokenTypedRule_GivesExactlyItsReason(string type, string path, string? json, string reason)
    {
        var builder = Sample(type);
        var body = (json is null ? builder.Without(path) : builder.WithRaw(path, json)).Build();

        var error = Assert.Throws<PoisonMessageException>(() => ParseAs(type, body));

        Assert.Equal($"{type} {builder.Id} breaks its schema: {reason}.", error.Message);
    }

    [Fact]
    public void Parse_SeveralTypedProblems_JoinsEveryReasonInCheckingOrder()
    {
        var builder = CloudEventBuilder.EmailSent().WithRaw("source", "\"urn:fanout:sms\"").WithRaw("data.orderId", "\"o-1\"").Without("data.providerMessageId");

        var error = Assert.Throws<PoisonMessageException>(() => ParseAs(EventTypes.EmailSent, builder.Build()));

        Assert.Equal(
            $"EmailSent {builder.Id} breaks its schema: source must be \"urn:fanout:email\" for EmailSent (got \"urn:fanout:sms\"); " +
            "data.orderId must be a lower-case UUID (got \"o-1\"); data.providerMessageId is missing.",
            error.Message);
    }

    [Fact]
    public void Parse_OrderPlacedWithoutAPhone_IsAcceptedWithNoPhone()
    {
        var parsed = EventParser.Parse(CloudEventBuilder.OrderPlaced().Without("data.customer.phone").Build(), EventTypes.OrderPlaced, ContractsJsonContext.Default.OrderPlaced);

        Assert.Null(parsed.Data.Customer.Phone);
        Assert.Equal("ada@example.com", parsed.Data.Customer.Email);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(50)]
    public void Parse_OrderPlacedWithLinesAtEitherLimit_IsAccepted(int count)
    {
        var body = CloudEventBuilder.OrderPlaced().With("data.items", Lines(count)).Build();

        var parsed = EventParser.Parse(body, EventTypes.OrderPlaced, ContractsJsonContext.Default.OrderPlaced);

        Assert.Equal(count, parsed.Data.Items.Count);
        Assert.Equal(("SKU-" + count, count), (parsed.Data.Items[^1].Sku, parsed.Data.Items[^1].Quantity));
    }

    [Fact]
    public void Parse_OrderPlacedWithFiftyOneLines_GivesTheCount()
    {
        var builder = CloudEventBuilder.OrderPlaced().With("data.items", Lines(51));

        var error = Assert.Throws<PoisonMessageException>(() => ParseAs(EventTypes.OrderPlaced, builder.Build()));

        Assert.Equal($"OrderPlaced {builder.Id} breaks its schema: data.items must hold 1 to 50 items (got 51).", error.Message);
    }

    [Theory]
    [InlineData(50, null)]
    [InlineData(51, "data.unavailableSkus must hold 1 to 50 items (got 51)")]
    public void Parse_InventoryRejectedAroundFiftySkus_IsAcceptedUpToFifty(int count, string? reason)
    {
        var skus = new JsonArray([.. Enumerable.Range(1, count).Select(i => (JsonNode?)JsonValue.Create($"SKU-{i}"))]);
        var builder = CloudEventBuilder.InventoryRejected().With("data.unavailableSkus", skus);

        if (reason is null)
        {
            Assert.Equal(count, EventParser.Parse(builder.Build(), EventTypes.InventoryRejected, ContractsJsonContext.Default.InventoryRejected).Data.UnavailableSkus.Count);
        }
        else
        {
            var error = Assert.Throws<PoisonMessageException>(() => ParseAs(EventTypes.InventoryRejected, builder.Build()));
            Assert.Equal($"InventoryRejected {builder.Id} breaks its schema: {reason}.", error.Message);
        }
    }

    [Fact]
    public void Parse_ContractlessPayloadOfAnotherType_ThrowsPoison()
    {
        // Only Parse checks the type here: Bind has no type to expect for a payload without a contract.
        var body = CloudEventBuilder.OrderPlaced().Build();

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.Parse(body, "CustomerChanged", ContractsJsonContext.Default.CustomerInfo));

        Assert.Equal("expected a CustomerChanged event, got \"OrderPlaced\"", error.Message);
    }

    [Fact]
    public void Bind_HandMadeEnvelopeWithoutType_SaysItGotAnEmptyType()
    {
        using var document = JsonDocument.Parse("{}");
        var envelope = new RawCloudEvent { Data = document.RootElement.Clone() };

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.Bind(envelope, ContractsJsonContext.Default.EmailSent));

        Assert.Equal("expected a EmailSent event, got \"\"", error.Message);
    }

    [Fact]
    public void Bind_HandMadeEnvelopeWithoutData_GivesTypeIdAndReason()
    {
        var envelope = new RawCloudEvent { Id = "e-1", Type = EventTypes.EmailSent };

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.Bind(envelope, ContractsJsonContext.Default.EmailSent));

        Assert.Equal("EmailSent e-1: data must be a JSON object.", error.Message);
    }

    [Fact]
    public void Bind_HandMadeEnvelopeWithALoneSurrogateInData_GivesTypeIdAndPath()
    {
        using var document = JsonDocument.Parse("{\"orderId\":\"\\ud800\"}");
        var envelope = new RawCloudEvent { Id = "e-1", Type = EventTypes.EmailSent, Data = document.RootElement.Clone() };

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.Bind(envelope, ContractsJsonContext.Default.EmailSent));

        Assert.Equal("EmailSent e-1: data.orderId is not well-formed UTF-16 (an unpaired surrogate)", error.Message);
        Assert.IsType<JsonException>(error.InnerException);
    }

    [Fact]
    public void Bind_HandMadeEnvelopeWithoutSource_SaysItGotAnEmptySource()
    {
        var parsed = EventParser.ParseEnvelope(CloudEventBuilder.EmailSent().Build());
        var envelope = new RawCloudEvent { Id = parsed.Id, Type = parsed.Type, Subject = parsed.Subject, DataContentType = parsed.DataContentType, Data = parsed.Data };

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.Bind(envelope, ContractsJsonContext.Default.EmailSent));

        Assert.Equal($"EmailSent {parsed.Id} breaks its schema: source must be \"urn:fanout:email\" for EmailSent (got \"\").", error.Message);
    }

    [Fact]
    public void Bind_ContractlessPayloadThatDoesNotDeserialize_ThrowsPoisonWithTheCause()
    {
        using var document = JsonDocument.Parse("{\"id\":5}");
        var envelope = new RawCloudEvent { Id = "e-1", Type = "CustomerChanged", Data = document.RootElement.Clone() };

        var error = Assert.Throws<PoisonMessageException>(() => EventParser.Bind(envelope, ContractsJsonContext.Default.CustomerInfo));

        Assert.StartsWith("data does not match CustomerChanged: ", error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<JsonException>(error.InnerException);
    }

    [Fact]
    public void Bind_ContractlessPayload_IsDeserializedAndHashed()
    {
        using var document = JsonDocument.Parse("{\"id\":\"c-1\",\"email\":\"ada@example.com\"}");
        var envelope = new RawCloudEvent { Id = "e-1", Type = "CustomerChanged", CorrelationId = "corr", Data = document.RootElement.Clone() };

        var parsed = EventParser.Bind(envelope, ContractsJsonContext.Default.CustomerInfo);

        Assert.Equal(("e-1", "CustomerChanged", "corr", "c-1", "ada@example.com"), (parsed.Id, parsed.Type, parsed.CorrelationId, parsed.Data.Id, parsed.Data.Email));
        Assert.Equal(EventParser.HashPayload(envelope.Data), parsed.PayloadHash);
    }

    [Fact]
    public void Bind_NullArguments_ThrowArgumentNull()
    {
        var envelope = EventParser.ParseEnvelope(CloudEventBuilder.EmailSent().Build());

        Assert.Equal("envelope", Assert.Throws<ArgumentNullException>(() => EventParser.Bind(null!, ContractsJsonContext.Default.EmailSent)).ParamName);
        Assert.Equal("typeInfo", Assert.Throws<ArgumentNullException>(() => EventParser.Bind<EmailSent>(envelope, null!)).ParamName);
    }

    [Fact]
    public void PoisonMessageException_MessageAndInner_AreKept()
    {
        var inner = new JsonException("inner");

        Assert.Equal(("outer", inner), (new PoisonMessageException("outer", inner).Message, new PoisonMessageException("outer", inner).InnerException));
        Assert.Null(new PoisonMessageException().InnerException);
    }

    private static JsonArray Lines(int count) =>
        new([.. Enumerable.Range(1, count).Select(i => (JsonNode?)new JsonObject { ["sku"] = $"SKU-{i}", ["quantity"] = i })]);

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
}

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
    public void Parse_UnknownFieldsInEnvelopeAndData_AreIgnored()
    {
        var body = CloudEventBuilder.OrderPlaced()
            .With("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
            .With("partitionkey", "p-1")
            .With("nested", new System.Text.Json.Nodes.JsonObject { ["a"] = new System.Text.Json.Nodes.JsonArray(1, 2) })
            .With("data.loyaltyTier", "gold")
            .With("data.customer.nickname", "Ada")
            .With("data.items[0].colour", "red")
            .Build();

        var parsed = EventParser.Parse(body, EventTypes.OrderPlaced, ContractsJsonContext.Default.OrderPlaced);

        Assert.Equal(OrderPlacedBuilder.DefaultOrderId, parsed.Data.OrderId);
        Assert.Equal("ada@example.com", parsed.Data.Customer.Email);
        Assert.Equal(("TSHIRT-RED-M", 2), (parsed.Data.Items[0].Sku, parsed.Data.Items[0].Quantity));
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

    [Fact]
    public void Parse_PayloadHash_IsSha256OfTheRawDataText()
    {
        const string data = "{\"orderId\":\"o-1\",  \"delivery\":\"SKIPPED\"}";
        var body = "{\"specversion\":\"1.0\",\"id\":\"e-1\",\"source\":\"urn:fanout:sms\",\"type\":\"SmsSent\",\"time\":\"2026-03-14T09:26:53Z\",\"correlationid\":\"c\",\"data\":" + data + "}";

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

    private static string Hash(string body) => EventParser.Parse(body, EventTypes.OrderPlaced, ContractsJsonContext.Default.OrderPlaced).PayloadHash;
}

using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Fanout.Contracts.Events;
using Fanout.Functions.Common.Consumers;
using Fanout.Inventory.Core;
using Fanout.OrderIntake.Core;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;
using NJsonSchema;

namespace Fanout.UnitTests.Contracts.Events;

/// <summary>The published JSON Schemas (schemas/events) against what the services really emit.</summary>
[Trait("Category", "Unit")]
public sealed class EventSchemaTests
{
    private const string Remove = "<remove>";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void SchemaFolder_HoldsExactlyOneSchemaPerEventType()
    {
        var files = Directory.GetFiles(SchemaFolder, "*.schema.json").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal);

        Assert.Equal(EventTypes.All.Select(t => t + ".schema.json").Order(StringComparer.Ordinal), files);
    }

    [Theory]
    [InlineData("+14155550123")]
    [InlineData(null)]
    public async Task OrderPlaced_AsPublishedByTheOrderService_MatchesItsSchema(string? phone)
    {
        var publisher = new RecordingEventPublisher();
        var service = new OrderService(new InMemoryOrderStore(), publisher, TestClock.Create());
        var command = new PlaceOrderCommand
        {
            Customer = new CustomerInfo { Id = "cust-42", Email = "ada@example.com", Phone = phone },
            Items = [new OrderLine { Sku = "TSHIRT-RED-M", Quantity = 1000 }, new OrderLine { Sku = "MUG-01", Quantity = 1 }],
        };

        await service.PlaceAsync(command, new Caller("cust-42", IsOperator: false), "key-1", "corr-1", Ct);

        await AssertValid(EventTypes.OrderPlaced, Assert.Single(publisher.Published).Json);
    }

    [Theory]
    [InlineData("+14155550123")]
    [InlineData(null)]
    public async Task SmsSent_AsPublishedByTheSmsService_MatchesItsSchema(string? phone)
    {
        var harness = new ServiceHarness(TestClock.Create());

        await harness.Sms.HandleAsync(new OrderPlacedBuilder().WithPhone(phone).BuildParsed(), Ct);

        await AssertValid(EventTypes.SmsSent, Assert.Single(harness.Publisher.Published).Json);
    }

    [Fact]
    public async Task EmailSent_AsPublishedByTheEmailService_MatchesItsSchema()
    {
        var harness = new ServiceHarness(TestClock.Create());

        await harness.Email.HandleAsync(new OrderPlacedBuilder().BuildParsed(), Ct);

        await AssertValid(EventTypes.EmailSent, Assert.Single(harness.Publisher.Published).Json);
    }

    [Theory]
    [InlineData(true, EventTypes.InventoryReserved)]
    [InlineData(false, EventTypes.InventoryRejected)]
    public async Task InventoryOutcome_AsPublishedByTheInventoryService_MatchesItsSchema(bool inStock, string expectedType)
    {
        var ledger = new InMemoryStockLedger();
        ledger.SetStock("MUG-01", inStock ? 10 : 0);
        ledger.SetStock("TSHIRT-RED-M", 10);
        var publisher = new RecordingEventPublisher();
        var service = new InventoryService(ledger, publisher, TestClock.Create());

        var type = await service.HandleAsync(new OrderPlacedBuilder().BuildParsed(), Ct);

        Assert.Equal(expectedType, type);
        await AssertValid(expectedType, Assert.Single(publisher.Published).Json);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task InventoryReleased_AsPublishedByTheInventoryService_MatchesItsSchema(bool reservedFirst)
    {
        var ledger = new InMemoryStockLedger();
        ledger.SetStock("MUG-01", 10);
        ledger.SetStock("TSHIRT-RED-M", 10);
        var publisher = new RecordingEventPublisher();
        var service = new InventoryService(ledger, publisher, TestClock.Create());
        var order = new OrderPlacedBuilder();
        if (reservedFirst)
        {
            await service.HandleAsync(order.BuildParsed(), Ct);
        }

        Assert.Equal(EventTypes.InventoryReleased, await service.HandleAsync(order.BuildCancelledParsed(), Ct));

        await AssertValid(EventTypes.InventoryReleased, publisher.Published[^1].Json);
    }

    [Theory]
    [InlineData(EventTypes.InventoryRejected)]
    [InlineData(EventTypes.OrderCancelled)]
    public async Task SmsAndEmail_ForEachNotification_PublishWhatTheirSchemasAccept(string fact)
    {
        // One harness per service: each has its own idempotency table, as deployed.
        var sms = new ServiceHarness(TestClock.Create());
        var email = new ServiceHarness(TestClock.Create());
        var order = new OrderPlacedBuilder();
        if (fact == EventTypes.InventoryRejected)
        {
            await sms.Sms.HandleAsync(order.BuildRejectedParsed(), Ct);
            await email.Email.HandleAsync(order.BuildRejectedParsed(), Ct);
        }
        else
        {
            await sms.Sms.HandleAsync(order.BuildCancelledParsed(), Ct);
            await email.Email.HandleAsync(order.BuildCancelledParsed(), Ct);
        }

        await AssertValid(EventTypes.SmsSent, Assert.Single(sms.Publisher.Published).Json);
        await AssertValid(EventTypes.EmailSent, Assert.Single(email.Publisher.Published).Json);
    }

    [Theory]
    [InlineData(EventTypes.OrderPlaced)]
    [InlineData(EventTypes.SmsSent)]
    [InlineData(EventTypes.EmailSent)]
    [InlineData(EventTypes.InventoryReserved)]
    [InlineData(EventTypes.InventoryRejected)]
    [InlineData(EventTypes.OrderCancelled)]
    [InlineData(EventTypes.InventoryReleased)]
    public async Task Schema_UnknownEnvelopeAttribute_IsAllowed(string type)
    {
        var json = Sample(type).With("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").Build();

        await AssertValid(type, json);
    }

    public static TheoryData<string, string, string> ContractBreaks => new()
    {
        { EventTypes.OrderPlaced, "specversion", Remove },
        { EventTypes.OrderPlaced, "specversion", "\"0.3\"" },
        { EventTypes.OrderPlaced, "id", Remove },
        { EventTypes.OrderPlaced, "id", "\"order-1\"" },
        { EventTypes.OrderPlaced, "source", "\"urn:fanout:sms\"" },
        { EventTypes.OrderPlaced, "type", "\"SmsSent\"" },
        { EventTypes.OrderPlaced, "subject", Remove },
        { EventTypes.OrderPlaced, "time", Remove },
        { EventTypes.OrderPlaced, "time", "\"yesterday\"" },
        { EventTypes.OrderPlaced, "datacontenttype", "\"text/plain\"" },
        { EventTypes.OrderPlaced, "correlationid", Remove },
        { EventTypes.OrderPlaced, "correlationid", "\"has space\"" },
        { EventTypes.OrderPlaced, "data", Remove },
        { EventTypes.OrderPlaced, "data", "[]" },
        { EventTypes.OrderPlaced, "data.orderId", Remove },
        { EventTypes.OrderPlaced, "data.couponCode", "\"FREE\"" },
        { EventTypes.OrderPlaced, "data.customer.id", Remove },
        { EventTypes.OrderPlaced, "data.customer.email", "\"not-an-email\"" },
        { EventTypes.OrderPlaced, "data.customer.phone", "\"555-0123\"" },
        { EventTypes.OrderPlaced, "data.customer.phone", "null" },
        { EventTypes.OrderPlaced, "data.items", "[]" },
        { EventTypes.OrderPlaced, "data.items", FiftyOneLines() },
        { EventTypes.OrderPlaced, "data.items[0].quantity", "0" },
        { EventTypes.OrderPlaced, "data.items[0].quantity", "1001" },
        { EventTypes.OrderPlaced, "data.items[0].quantity", "1.5" },
        { EventTypes.OrderPlaced, "data.items[0].quantity", "\"5\"" },
        { EventTypes.OrderPlaced, "data.items[0].sku", "\"mug-01\"" },
        { EventTypes.OrderPlaced, "data.items[0].sku", "\"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456\"" },
        { EventTypes.OrderPlaced, "data.items[0].colour", "\"red\"" },
        { EventTypes.OrderPlaced, "data.placedAt", "\"soon\"" },
        { EventTypes.SmsSent, "data.delivery", "\"MAYBE\"" },
        { EventTypes.SmsSent, "data.providerMessageId", Remove },
        { EventTypes.SmsSent + ":" + SmsDelivery.Skipped, "data.providerMessageId", "\"sms-1\"" },
        { EventTypes.SmsSent, "source", "\"urn:fanout:email\"" },
        { EventTypes.EmailSent, "data.providerMessageId", Remove },
        { EventTypes.EmailSent, "data.providerMessageId", "\"\"" },
        { EventTypes.EmailSent, "type", "\"SmsSent\"" },
        { EventTypes.InventoryReserved, "data.items", "[]" },
        { EventTypes.InventoryReserved, "data.items[0].quantity", "0" },
        { EventTypes.InventoryReserved, "data.orderId", "\"\"" },
        { EventTypes.InventoryRejected, "data.reason", "\"OUT_OF_LUCK\"" },
        { EventTypes.InventoryRejected, "data.unavailableSkus", "[]" },
        { EventTypes.InventoryRejected, "data.unavailableSkus", "[\"MUG-01\",\"MUG-01\"]" },
        { EventTypes.InventoryRejected, "data.unavailableSkus", "[\"mug\"]" },
        { EventTypes.InventoryRejected, "data.unavailableSkus", Remove },

        // A .NET "$" also matches before a final "\n": every pattern must still refuse it.
        { EventTypes.OrderPlaced, "subject", "\"0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b\\n\"" },
        { EventTypes.OrderPlaced, "correlationid", "\"corr-0001\\n\"" },
        { EventTypes.OrderPlaced, "data.orderId", "\"0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b\\n\"" },
        { EventTypes.OrderPlaced, "data.customer.id", "\"cust-42\\n\"" },
        { EventTypes.OrderPlaced, "data.customer.email", "\"ada@example.com\\n\"" },
        { EventTypes.OrderPlaced, "data.customer.phone", "\"+14155550123\\n\"" },
        { EventTypes.OrderPlaced, "data.items[0].sku", "\"TSHIRT-RED-M\\n\"" },
        { EventTypes.OrderPlaced, "time", "\"2026-03-14T09:26:53+00:00\\n\"" },
        { EventTypes.OrderPlaced, "data.placedAt", "\"2026-03-14T09:26:53+00:00\\n\"" },
        { EventTypes.InventoryRejected, "data.unavailableSkus", "[\"MUG-01\\n\"]" },
        { EventTypes.EmailSent, "data.providerMessageId", "\"email-1\\n\"" },

        // Rules the parser always had and the schemas lacked.
        { EventTypes.OrderPlaced, "data.customer.email", "\"a..b@example.com\"" },
        { EventTypes.OrderPlaced, "time", "\"2026-03-14\"" },
        { EventTypes.OrderPlaced, "time", "\"2026-03-14T09:26:53\"" },
        { EventTypes.OrderPlaced, "time", "\"2026-02-30T09:26:53Z\"" },
        { EventTypes.OrderPlaced, "data.placedAt", "\"2026-03-14T25:26:53Z\"" },
        { EventTypes.SmsSent, "data.providerMessageId", "\"sms\\u00001\"" },
        { EventTypes.SmsSent, "data.providerMessageId", "\"has space\"" },

        // Extension attributes follow CloudEvents 1.0 naming and types.
        { EventTypes.OrderPlaced, "TraceParent", "\"x\"" },
        { EventTypes.OrderPlaced, "trace_parent", "\"x\"" },
        { EventTypes.OrderPlaced, "nested", "{\"a\":1}" },
        { EventTypes.OrderPlaced, "note", "\"a\\u0007b\"" },
        { EventTypes.OrderPlaced, "ratio", "1.5" },
    };

    [Theory]
    [MemberData(nameof(ContractBreaks))]
    public async Task Schema_EventBreakingTheContract_FailsValidation(string sample, string path, string change)
    {
        var type = sample.Split(':')[0];
        var builder = Sample(sample);
        await AssertValid(type, builder.Build());

        var broken = (change == Remove ? builder.Without(path) : builder.WithRaw(path, change)).Build();

        var schema = await LoadSchema(type);
        Assert.NotEmpty(schema.Validate(broken));
    }

    [Theory]
    [InlineData(EventTypes.OrderPlaced)]
    [InlineData(EventTypes.SmsSent)]
    [InlineData(EventTypes.EmailSent)]
    [InlineData(EventTypes.InventoryReserved)]
    [InlineData(EventTypes.InventoryRejected)]
    public async Task Schema_EnvelopeProperties_AreExactlyTheCloudEventProperties(string type)
    {
        var schema = await LoadSchema(type);

        Assert.Equal(Names(EnvelopeTypeInfo(type)), schema.Properties.Keys.Order(StringComparer.Ordinal));
        // Every envelope attribute is required but the optional distributed-tracing extension.
        Assert.Equal(schema.Properties.Keys.Where(k => k != EventAttributes.TraceParent).Order(StringComparer.Ordinal), schema.RequiredProperties.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Schema_PayloadProperties_AreExactlyTheContractTypesJsonNames()
    {
        var orderPlaced = (await LoadSchema(EventTypes.OrderPlaced)).Properties["data"].ActualSchema;
        Assert.Equal(Names(ContractsJsonContext.Default.OrderPlaced), PropertyNames(orderPlaced));
        Assert.Equal(Names(ContractsJsonContext.Default.CustomerInfo), PropertyNames(orderPlaced.Properties["customer"].ActualSchema));
        Assert.Equal(Names(ContractsJsonContext.Default.OrderLine), PropertyNames(orderPlaced.Properties["items"].ActualSchema.Item!.ActualSchema));

        Assert.Equal(Names(ContractsJsonContext.Default.SmsSent), PropertyNames((await LoadSchema(EventTypes.SmsSent)).Properties["data"].ActualSchema));
        Assert.Equal(Names(ContractsJsonContext.Default.EmailSent), PropertyNames((await LoadSchema(EventTypes.EmailSent)).Properties["data"].ActualSchema));
        var reserved = (await LoadSchema(EventTypes.InventoryReserved)).Properties["data"].ActualSchema;
        Assert.Equal(Names(ContractsJsonContext.Default.InventoryReserved), PropertyNames(reserved));
        Assert.Equal(Names(ContractsJsonContext.Default.OrderLine), PropertyNames(reserved.Properties["items"].ActualSchema.Item!.ActualSchema));
        Assert.Equal(Names(ContractsJsonContext.Default.InventoryRejected), PropertyNames((await LoadSchema(EventTypes.InventoryRejected)).Properties["data"].ActualSchema));
    }

    private static string SchemaFolder => Path.Combine(AppContext.BaseDirectory, "schemas", "events");

    private static Task<JsonSchema> LoadSchema(string type) => JsonSchema.FromFileAsync(Path.Combine(SchemaFolder, type + ".schema.json"), Ct);

    private static async Task AssertValid(string type, string json)
    {
        var schema = await LoadSchema(type);
        var errors = schema.Validate(json);
        Assert.True(errors.Count == 0, $"{type} does not match its schema: {string.Join("; ", errors.Select(e => e.ToString()))}\n{json}");
    }

    private static CloudEventBuilder Sample(string sample) => sample switch
    {
        EventTypes.OrderPlaced => CloudEventBuilder.OrderPlaced(),
        EventTypes.SmsSent => CloudEventBuilder.SmsSent(),
        EventTypes.SmsSent + ":" + SmsDelivery.Skipped => CloudEventBuilder.SmsSent(SmsDelivery.Skipped, null),
        EventTypes.EmailSent => CloudEventBuilder.EmailSent(),
        EventTypes.InventoryReserved => CloudEventBuilder.InventoryReserved(),
        EventTypes.InventoryRejected => CloudEventBuilder.InventoryRejected(),
        EventTypes.OrderCancelled => CloudEventBuilder.OrderCancelled(),
        EventTypes.InventoryReleased => CloudEventBuilder.InventoryReleased(),
        _ => throw new ArgumentOutOfRangeException(nameof(sample), sample, "No sample for this event."),
    };

    private static JsonTypeInfo EnvelopeTypeInfo(string type) => type switch
    {
        EventTypes.OrderPlaced => ContractsJsonContext.Default.CloudEventOrderPlaced,
        EventTypes.SmsSent => ContractsJsonContext.Default.CloudEventSmsSent,
        EventTypes.EmailSent => ContractsJsonContext.Default.CloudEventEmailSent,
        EventTypes.InventoryReserved => ContractsJsonContext.Default.CloudEventInventoryReserved,
        EventTypes.InventoryRejected => ContractsJsonContext.Default.CloudEventInventoryRejected,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown event type."),
    };

    private static IEnumerable<string> Names(JsonTypeInfo typeInfo) => typeInfo.Properties.Select(p => p.Name).Order(StringComparer.Ordinal);

    private static IEnumerable<string> PropertyNames(JsonSchema schema) => schema.Properties.Keys.Order(StringComparer.Ordinal);

    private static string FiftyOneLines() =>
        new JsonArray([.. Enumerable.Range(1, 51).Select(i => (JsonNode?)new JsonObject { ["sku"] = $"SKU-{i}", ["quantity"] = 1 })]).ToJsonString();
}

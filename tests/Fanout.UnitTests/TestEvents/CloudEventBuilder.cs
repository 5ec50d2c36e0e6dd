using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Fanout.Contracts.Events;
using Fanout.Functions.Common.Publishing;

namespace Fanout.UnitTests.TestEvents;

/// <summary>Starts from a well-formed envelope and applies one deliberate change, for parser and schema tests.</summary>
internal sealed class CloudEventBuilder
{
    private readonly JsonObject _envelope;

    private CloudEventBuilder(string json) => _envelope = JsonNode.Parse(json)!.AsObject();

    public static CloudEventBuilder From(string envelopeJson) => new(envelopeJson);

    public static CloudEventBuilder OrderPlaced() => new(new OrderPlacedBuilder().BuildEnvelopeJson());

    /// <summary>An outcome fact as its service would publish it.</summary>
    public static CloudEventBuilder Outcome<T>(string type, string source, string outcome, T data, JsonTypeInfo<CloudEvent<T>> typeInfo, string orderId = OrderPlacedBuilder.DefaultOrderId) =>
        new(OutgoingEvents.Create(
            EventIds.For(orderId, source[(source.LastIndexOf(':') + 1)..], outcome),
            source,
            type,
            orderId,
            OrderPlacedBuilder.DefaultCorrelationId,
            TestClock.Start,
            data,
            typeInfo).Json);

    public static CloudEventBuilder SmsSent(string delivery = SmsDelivery.Sent, string? providerMessageId = "sms-1") =>
        Outcome(EventTypes.SmsSent, EventSources.Sms, delivery, new SmsSent { OrderId = OrderPlacedBuilder.DefaultOrderId, Notification = NotificationKinds.OrderReceived, Delivery = delivery, ProviderMessageId = providerMessageId }, ContractsJsonContext.Default.CloudEventSmsSent);

    public static CloudEventBuilder EmailSent() =>
        Outcome(EventTypes.EmailSent, EventSources.Email, "SENT", new EmailSent { OrderId = OrderPlacedBuilder.DefaultOrderId, ProviderMessageId = "email-1" }, ContractsJsonContext.Default.CloudEventEmailSent);

    public static CloudEventBuilder InventoryReserved() =>
        Outcome(
            EventTypes.InventoryReserved,
            EventSources.Inventory,
            "RESERVED",
            new InventoryReserved { OrderId = OrderPlacedBuilder.DefaultOrderId, Items = [new OrderLine { Sku = "MUG-01", Quantity = 1 }] },
            ContractsJsonContext.Default.CloudEventInventoryReserved);

    public static CloudEventBuilder InventoryRejected() =>
        Outcome(
            EventTypes.InventoryRejected,
            EventSources.Inventory,
            "REJECTED",
            new InventoryRejected { OrderId = OrderPlacedBuilder.DefaultOrderId, Customer = new OrderPlacedBuilder().Build().Customer, UnavailableSkus = ["MUG-01"] },
            ContractsJsonContext.Default.CloudEventInventoryRejected);

    public static CloudEventBuilder OrderCancelled() => new(new OrderPlacedBuilder().BuildCancelledJson());

    public static CloudEventBuilder InventoryReleased(params (string Sku, int Quantity)[] items) =>
        Outcome(
            EventTypes.InventoryReleased,
            EventSources.Inventory,
            "RELEASED",
            new InventoryReleased { OrderId = OrderPlacedBuilder.DefaultOrderId, Items = [.. items.Select(i => new OrderLine { Sku = i.Sku, Quantity = i.Quantity })] },
            ContractsJsonContext.Default.CloudEventInventoryReleased);

    public string Id => (string)_envelope["id"]!;

    public CloudEventBuilder With(string path, JsonNode? value)
    {
        JsonPath.Set(_envelope, path, value);
        return this;
    }

    public CloudEventBuilder WithRaw(string path, string json) => With(path, JsonPath.Literal(json));

    public CloudEventBuilder Without(string path)
    {
        JsonPath.Remove(_envelope, path);
        return this;
    }

    public string Build() => _envelope.ToJsonString();
}

using Fanout.Contracts.Events;
using Fanout.Functions.Common.Publishing;

namespace Fanout.UnitTests.TestEvents;

/// <summary>Builds <c>OrderPlaced</c> payloads and the envelopes the order service would publish for them.</summary>
internal sealed class OrderPlacedBuilder
{
    public const string DefaultOrderId = "0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    public const string DefaultCorrelationId = "corr-0001";

    private readonly List<OrderLine> _items = [new() { Sku = "TSHIRT-RED-M", Quantity = 2 }, new() { Sku = "MUG-01", Quantity = 1 }];
    private string _orderId = DefaultOrderId;
    private string _correlationId = DefaultCorrelationId;
    private string? _phone = "+14155550123";
    private string _email = "ada@example.com";
    private DateTimeOffset _placedAt = TestClock.Start;

    public string OrderId => _orderId;

    public string CorrelationId => _correlationId;

    public string EventId => EventIds.For(_orderId, "orders", "PLACED");

    public OrderPlacedBuilder WithOrderId(string orderId)
    {
        _orderId = orderId;
        return this;
    }

    public OrderPlacedBuilder WithCorrelationId(string correlationId)
    {
        _correlationId = correlationId;
        return this;
    }

    public OrderPlacedBuilder WithPhone(string? phone)
    {
        _phone = phone;
        return this;
    }

    public OrderPlacedBuilder WithEmail(string email)
    {
        _email = email;
        return this;
    }

    public OrderPlacedBuilder WithPlacedAt(DateTimeOffset placedAt)
    {
        _placedAt = placedAt;
        return this;
    }

    public OrderPlacedBuilder WithItems(params (string Sku, int Quantity)[] items)
    {
        _items.Clear();
        _items.AddRange(items.Select(i => new OrderLine { Sku = i.Sku, Quantity = i.Quantity }));
        return this;
    }

    public OrderPlaced Build() => new()
    {
        OrderId = _orderId,
        Customer = new CustomerInfo { Id = "cust-42", Email = _email, Phone = _phone },
        Items = [.. _items.Select(i => new OrderLine { Sku = i.Sku, Quantity = i.Quantity })],
        PlacedAt = _placedAt,
    };

    public string BuildEnvelopeJson() =>
        OutgoingEvents.Create(
            EventId,
            EventSources.Orders,
            EventTypes.OrderPlaced,
            _orderId,
            _correlationId,
            _placedAt,
            Build(),
            ContractsJsonContext.Default.CloudEventOrderPlaced).Json;

    /// <summary>The event as a consumer sees it after parsing (with its payload hash).</summary>
    public ParsedEvent<OrderPlaced> BuildParsed() =>
        EventParser.Parse(BuildEnvelopeJson(), EventTypes.OrderPlaced, ContractsJsonContext.Default.OrderPlaced);

    /// <summary>The same order's <c>OrderCancelled</c>, as the order service publishes it.</summary>
    public string BuildCancelledJson(string cancelledBy = CancellationRequesters.Customer) =>
        OutgoingEvents.Create(
            EventIds.For(_orderId, "orders", "CANCELLED"),
            EventSources.Orders,
            EventTypes.OrderCancelled,
            _orderId,
            _correlationId,
            _placedAt.AddMinutes(1),
            new OrderCancelled { OrderId = _orderId, Customer = Build().Customer, CancelledAt = _placedAt.AddMinutes(1), CancelledBy = cancelledBy },
            ContractsJsonContext.Default.CloudEventOrderCancelled).Json;

    public ParsedEvent<OrderCancelled> BuildCancelledParsed() =>
        EventParser.Parse(BuildCancelledJson(), EventTypes.OrderCancelled, ContractsJsonContext.Default.OrderCancelled);

    /// <summary>The same order's <c>InventoryRejected</c>, as inventory publishes it (the customer copied).</summary>
    public string BuildRejectedJson(params string[] unavailableSkus) =>
        OutgoingEvents.Create(
            EventIds.For(_orderId, "inventory", "REJECTED"),
            EventSources.Inventory,
            EventTypes.InventoryRejected,
            _orderId,
            _correlationId,
            _placedAt,
            new InventoryRejected { OrderId = _orderId, Customer = Build().Customer, UnavailableSkus = unavailableSkus.Length == 0 ? ["MUG-01"] : [.. unavailableSkus] },
            ContractsJsonContext.Default.CloudEventInventoryRejected).Json;

    public ParsedEvent<InventoryRejected> BuildRejectedParsed() =>
        EventParser.Parse(BuildRejectedJson(), EventTypes.InventoryRejected, ContractsJsonContext.Default.InventoryRejected);
}

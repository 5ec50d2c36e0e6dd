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
}

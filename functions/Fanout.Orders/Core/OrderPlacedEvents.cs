using System.Text.Json;
using Fanout.Contracts.Events;
using Fanout.Functions.Common.Publishing;

namespace Fanout.Orders.Core;

/// <summary>Builds an order's <c>OrderPlaced</c> envelope from the fields the order item stores, deterministically:
/// the same order id, correlation id, time and data give the same bytes, so the intake, the outbox relay and the
/// reconciler publish an identical fact (same CloudEvents <c>id</c>, same payload hash) without the order item
/// carrying the envelope.</summary>
public static class OrderPlacedEvents
{
    /// <summary>The service that names the fact in its event id (<see cref="EventIds.For"/>).</summary>
    public const string Service = "orders";

    /// <summary>The outcome part of the fact's event id.</summary>
    public const string Outcome = "PLACED";

    /// <summary>The envelope: <c>id</c> = <see cref="EventIds.For"/>(order id, "orders", "PLACED"), <c>source</c>
    /// <see cref="EventSources.Orders"/>, <c>subject</c> the order id, <c>time</c> = <paramref name="time"/>.</summary>
    public static OutgoingEvent Create(OrderPlaced placed, string correlationId, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(placed);
        ArgumentException.ThrowIfNullOrEmpty(correlationId);
        return OutgoingEvents.Create(
            EventIds.For(placed.OrderId, Service, Outcome),
            EventSources.Orders,
            EventTypes.OrderPlaced,
            placed.OrderId,
            correlationId,
            time,
            placed,
            ContractsJsonContext.Default.CloudEventOrderPlaced);
    }

    /// <summary>The <c>OrderPlaced</c> <paramref name="order"/> owes, as stored (<see cref="OrderRecord.EventJson"/>).</summary>
    public static OutgoingEvent Of(OrderRecord order)
    {
        ArgumentNullException.ThrowIfNull(order);
        return new OutgoingEvent(EventIds.For(order.OrderId, Service, Outcome), EventTypes.OrderPlaced, order.CorrelationId, order.EventJson);
    }

    /// <summary>The <c>data</c> member as the order item stores it (JSON of <see cref="OrderPlaced"/>).</summary>
    public static string DataJson(OrderPlaced placed) => JsonSerializer.Serialize(placed, ContractsJsonContext.Default.OrderPlaced);

    /// <summary>Reads back <see cref="DataJson"/>.</summary>
    /// <exception cref="JsonException">Not an <see cref="OrderPlaced"/>.</exception>
    public static OrderPlaced FromDataJson(string json) =>
        JsonSerializer.Deserialize(json, ContractsJsonContext.Default.OrderPlaced) ?? throw new JsonException("The stored order data was null.");

    /// <summary>The <see cref="OrderPlaced"/> data of an envelope built by <see cref="Create"/>.</summary>
    public static OrderPlaced DataOf(string envelopeJson) =>
        EventParser.Bind(EventParser.ParseEnvelope(envelopeJson), ContractsJsonContext.Default.OrderPlaced).Data;
}

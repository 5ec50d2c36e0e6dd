using Fanout.Contracts.Events;
using Fanout.Functions.Common.Publishing;
using Fanout.Functions.Common.Sqs;

namespace Fanout.Inventory.Core;

/// <summary>The inventory rules. <c>OrderPlaced</c>: reserve every line of an order or none, once per order, then
/// state the outcome as a fact. <c>OrderCancelled</c>: give back exactly what the order holds, once, and state it as
/// <c>InventoryReleased</c> (empty when nothing was held). An <c>OrderPlaced</c> arriving after its order's
/// cancellation reserves nothing and publishes nothing: <c>InventoryReleased</c> already stated the order's outcome
/// (and so does an <c>OrderPlaced</c> redelivered after the cancellation). A redelivered event re-publishes the recorded
/// outcome and never changes stock again.</summary>
public sealed class InventoryService
{
    public const string ServiceName = "inventory";
    private readonly IStockLedger _ledger;
    private readonly IEventPublisher _publisher;
    private readonly TimeProvider _time;

    public InventoryService(IStockLedger ledger, IEventPublisher publisher, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(publisher);
        ArgumentNullException.ThrowIfNull(time);
        _ledger = ledger;
        _publisher = publisher;
        _time = time;
    }

    /// <summary>Lines of the same SKU are merged: one transaction cannot touch an item twice.</summary>
    public static IReadOnlyList<StockLine> Consolidate(IEnumerable<OrderLine> lines) =>
        lines.GroupBy(l => l.Sku, StringComparer.Ordinal)
            .Select(g => new StockLine(g.Key, g.Sum(l => l.Quantity)))
            .OrderBy(l => l.Sku, StringComparer.Ordinal)
            .ToList();

    /// <summary>Text a handler returns when an event was handled without publishing anything.</summary>
    public const string NothingPublished = "nothing published: the order was cancelled first";

    /// <returns>The type of the outcome published, or <see cref="NothingPublished"/>.</returns>
    public async Task<string> HandleAsync(ParsedEvent<OrderPlaced> placed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(placed);
        var order = placed.Data;
        var lines = Consolidate(order.Items);
        var reserved = OutgoingEvents.Create(
            EventIds.For(order.OrderId, ServiceName, "RESERVED"),
            EventSources.Inventory,
            EventTypes.InventoryReserved,
            order.OrderId,
            placed.CorrelationId,
            _time.GetUtcNow(),
            new InventoryReserved { OrderId = order.OrderId, Items = lines.Select(l => new OrderLine { Sku = l.Sku, Quantity = l.Quantity }).ToList() },
            ContractsJsonContext.Default.CloudEventInventoryReserved);

        var result = await _ledger.TryReserveAsync(placed.Id, order.OrderId, placed.PayloadHash, lines, reserved.Json, cancellationToken);
        switch (result.Status)
        {
            case ReservationStatus.Reserved:
                await _publisher.PublishAsync(reserved, cancellationToken);
                return reserved.Type;
            case ReservationStatus.AlreadyHandled:
                return await RepublishDuplicateAsync(placed, result.Existing!, cancellationToken);
            case ReservationStatus.Cancelled:
                return NothingPublished;
        }

        var rejected = OutgoingEvents.Create(
            EventIds.For(order.OrderId, ServiceName, "REJECTED"),
            EventSources.Inventory,
            EventTypes.InventoryRejected,
            order.OrderId,
            placed.CorrelationId,
            _time.GetUtcNow(),
            new InventoryRejected { OrderId = order.OrderId, Reason = RejectionReasons.InsufficientStock, Customer = order.Customer, UnavailableSkus = [.. result.UnavailableSkus] },
            ContractsJsonContext.Default.CloudEventInventoryRejected);
        var existing = await _ledger.TryRecordRejectionAsync(placed.Id, order.OrderId, placed.PayloadHash, rejected.Json, cancellationToken);
        if (existing is not null)
        {
            return await RepublishDuplicateAsync(placed, existing, cancellationToken);
        }

        await _publisher.PublishAsync(rejected, cancellationToken);
        return rejected.Type;
    }

    /// <returns>The type of the fact published: <c>InventoryReleased</c>, whether or not this delivery released anything.</returns>
    public async Task<string> HandleAsync(ParsedEvent<OrderCancelled> cancelled, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cancelled);
        var orderId = cancelled.Data.OrderId;
        var result = await _ledger.TryReleaseAsync(
            cancelled.Id,
            orderId,
            cancelled.PayloadHash,
            lines => OutgoingEvents.Create(
                EventIds.For(orderId, ServiceName, "RELEASED"),
                EventSources.Inventory,
                EventTypes.InventoryReleased,
                orderId,
                cancelled.CorrelationId,
                _time.GetUtcNow(),
                new InventoryReleased { OrderId = orderId, Items = [.. lines.Select(l => new OrderLine { Sku = l.Sku, Quantity = l.Quantity })] },
                ContractsJsonContext.Default.CloudEventInventoryReleased).Json,
            cancellationToken);
        return result.Status == ReleaseStatus.Released
            ? await RepublishAsync(cancelled, result.Outcome, cancellationToken)
            : await RepublishDuplicateAsync(cancelled, result.Outcome, cancellationToken);
    }

    /// <summary>The event had been handled before: marks the record a duplicate, then re-publishes what was recorded.
    /// An outcome without a fact (the order was cancelled first) is not marked: the ledger answers a rejection that
    /// met a cancellation the same way, handled now.</summary>
    private Task<string> RepublishDuplicateAsync<T>(ParsedEvent<T> inbound, RecordedOutcome existing, CancellationToken cancellationToken)
    {
        if (existing.OutcomeJson.Length > 0)
        {
            RecordContext.MarkDuplicate();
        }

        return RepublishAsync(inbound, existing, cancellationToken);
    }

    private async Task<string> RepublishAsync<T>(ParsedEvent<T> placed, RecordedOutcome existing, CancellationToken cancellationToken)
    {
        if (!string.Equals(existing.PayloadHash, placed.PayloadHash, StringComparison.Ordinal))
        {
            throw new PoisonMessageException($"Event {placed.Id} was seen before with a different payload.");
        }

        if (existing.OutcomeJson.Length == 0)
        {
            return NothingPublished;
        }

        var envelope = EventParser.ParseEnvelope(existing.OutcomeJson);
        await _publisher.PublishAsync(new OutgoingEvent(envelope.Id!, envelope.Type!, envelope.CorrelationId!, existing.OutcomeJson), cancellationToken);
        return envelope.Type!;
    }
}

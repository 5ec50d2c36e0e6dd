using Fanout.Contracts.Events;
using Fanout.Functions.Common.Publishing;

namespace Fanout.Inventory.Core;

/// <summary>The inventory rule: reserve every line of an order or none, once per order, then state the
/// outcome as a fact. A redelivered event re-publishes the recorded outcome and never decrements again.</summary>
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

    /// <returns>The type of the outcome published.</returns>
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
                return await RepublishAsync(placed, result.Existing!, cancellationToken);
        }

        var rejected = OutgoingEvents.Create(
            EventIds.For(order.OrderId, ServiceName, "REJECTED"),
            EventSources.Inventory,
            EventTypes.InventoryRejected,
            order.OrderId,
            placed.CorrelationId,
            _time.GetUtcNow(),
            new InventoryRejected { OrderId = order.OrderId, Reason = RejectionReasons.InsufficientStock, UnavailableSkus = [.. result.UnavailableSkus] },
            ContractsJsonContext.Default.CloudEventInventoryRejected);
        var existing = await _ledger.TryRecordRejectionAsync(placed.Id, order.OrderId, placed.PayloadHash, rejected.Json, cancellationToken);
        if (existing is not null)
        {
            return await RepublishAsync(placed, existing, cancellationToken);
        }

        await _publisher.PublishAsync(rejected, cancellationToken);
        return rejected.Type;
    }

    private async Task<string> RepublishAsync(ParsedEvent<OrderPlaced> placed, RecordedOutcome existing, CancellationToken cancellationToken)
    {
        if (!string.Equals(existing.PayloadHash, placed.PayloadHash, StringComparison.Ordinal))
        {
            throw new PoisonMessageException($"Event {placed.Id} was seen before with a different payload.");
        }

        var envelope = EventParser.ParseEnvelope(existing.OutcomeJson);
        await _publisher.PublishAsync(new OutgoingEvent(envelope.Id!, envelope.Type!, envelope.CorrelationId!, existing.OutcomeJson), cancellationToken);
        return envelope.Type!;
    }
}

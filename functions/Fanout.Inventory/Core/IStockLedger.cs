namespace Fanout.Inventory.Core;

/// <summary>One SKU and how many units to take.</summary>
public sealed record StockLine(string Sku, int Quantity);

/// <summary>An outcome already recorded for an event: its payload hash and the fact that was published.</summary>
/// <param name="OutcomeJson">The published envelope, or <see cref="NoFact"/> when the event was handled without
/// publishing anything (an <c>OrderPlaced</c> that arrived after its order's cancellation).</param>
public sealed record RecordedOutcome(string PayloadHash, string OutcomeJson)
{
    public const string NoFact = "";
}

public enum ReservationStatus
{
    /// <summary>Every line was decremented, the reservation and the outcome recorded, atomically.</summary>
    Reserved,

    /// <summary>At least one line lacked stock; nothing was changed.</summary>
    Insufficient,

    /// <summary>The event was handled before; <see cref="ReservationResult.Existing"/> holds what was recorded.</summary>
    AlreadyHandled,

    /// <summary>The order was cancelled before its <c>OrderPlaced</c> got here: nothing was reserved, and the event was
    /// recorded as handled with <see cref="RecordedOutcome.NoFact"/> (inventory's last word on the order was its
    /// <c>InventoryReleased</c>).</summary>
    Cancelled,
}

public sealed record ReservationResult(ReservationStatus Status, IReadOnlyList<string> UnavailableSkus, RecordedOutcome? Existing);

public enum ReleaseStatus
{
    /// <summary>The release was applied now (possibly releasing nothing).</summary>
    Released,

    /// <summary>The event was handled before; nothing changed.</summary>
    AlreadyHandled,
}

/// <summary>What a cancellation did.</summary>
/// <param name="Released">The lines given back now (empty for <see cref="ReleaseStatus.AlreadyHandled"/>, and when the
/// order held nothing).</param>
/// <param name="Outcome">The fact to (re)publish: recorded now, or before.</param>
public sealed record ReleaseResult(ReleaseStatus Status, IReadOnlyList<StockLine> Released, RecordedOutcome Outcome);

/// <summary>The stock store. Implementations must make "record the outcome" and "change the stock" one atomic step,
/// refuse any decrement that would take stock below zero, and never let a cancelled order hold stock: a reservation
/// and a cancellation's tombstone exclude each other. An order has one <c>OrderPlaced</c> and one <c>OrderCancelled</c>
/// event id (<c>EventIds.For</c>): an implementation that records per order throws
/// <see cref="Fanout.Contracts.Events.PoisonMessageException"/> for another event id of the same type and order.</summary>
public interface IStockLedger
{
    /// <summary>Atomically, unless the order's cancellation tombstone exists: record
    /// <paramref name="reservedOutcomeJson"/> for the event (only if the event is new), record the reservation of
    /// <paramref name="lines"/> for the order, and decrement every line (only if each has enough stock).</summary>
    Task<ReservationResult> TryReserveAsync(string eventId, string orderId, string payloadHash, IReadOnlyList<StockLine> lines, string reservedOutcomeJson, CancellationToken cancellationToken);

    /// <summary>Records a rejection for the event unless an outcome is already recorded, which is returned. When the
    /// order's cancellation tombstone exists the event is recorded with <see cref="RecordedOutcome.NoFact"/> instead,
    /// and that is returned.</summary>
    Task<RecordedOutcome?> TryRecordRejectionAsync(string eventId, string orderId, string payloadHash, string rejectedOutcomeJson, CancellationToken cancellationToken);

    /// <summary>Atomically: record the cancellation event's outcome (only if the event is new), write the order's
    /// tombstone (if absent), and, when the order holds a reservation, add its lines back to stock and mark it
    /// released (only if still reserved, so nothing is released twice).</summary>
    /// <param name="releasedOutcomeJson">Renders the fact for the lines released (empty when nothing was held).</param>
    Task<ReleaseResult> TryReleaseAsync(string eventId, string orderId, string payloadHash, Func<IReadOnlyList<StockLine>, string> releasedOutcomeJson, CancellationToken cancellationToken);
}

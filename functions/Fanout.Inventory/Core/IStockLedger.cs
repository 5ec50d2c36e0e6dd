namespace Fanout.Inventory.Core;

/// <summary>One SKU and how many units to take.</summary>
public sealed record StockLine(string Sku, int Quantity);

/// <summary>An outcome already recorded for an event: its payload hash and the fact that was published.</summary>
public sealed record RecordedOutcome(string PayloadHash, string OutcomeJson);

public enum ReservationStatus
{
    /// <summary>Every line was decremented and the outcome recorded, atomically.</summary>
    Reserved,

    /// <summary>At least one line lacked stock; nothing was changed.</summary>
    Insufficient,

    /// <summary>The event was handled before; <see cref="ReservationResult.Existing"/> holds what was recorded.</summary>
    AlreadyHandled,
}

public sealed record ReservationResult(ReservationStatus Status, IReadOnlyList<string> UnavailableSkus, RecordedOutcome? Existing);

/// <summary>The stock store. Implementations must make "record the outcome" and "decrement every line"
/// one atomic step, and refuse any decrement that would take stock below zero.</summary>
public interface IStockLedger
{
    /// <summary>Atomically: record <paramref name="reservedOutcomeJson"/> for the event (only if the event is
    /// new) and decrement every line (only if each has enough stock).</summary>
    Task<ReservationResult> TryReserveAsync(string eventId, string orderId, string payloadHash, IReadOnlyList<StockLine> lines, string reservedOutcomeJson, CancellationToken cancellationToken);

    /// <summary>Records a rejection for the event unless an outcome is already recorded.</summary>
    Task<RecordedOutcome?> TryRecordRejectionAsync(string eventId, string orderId, string payloadHash, string rejectedOutcomeJson, CancellationToken cancellationToken);
}

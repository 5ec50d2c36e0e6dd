using Fanout.Functions.Common.Metrics;

namespace Fanout.Functions.Common.Sqs;

/// <summary>What the batch loop learns about the one SQS record being handled, flowing with the async calls of its
/// handling: the parsed event's identity (filled by the record handler), whether the event turned out to be a
/// duplicate (marked by the service that found its idempotency record), and the DynamoDB capacity its calls consumed.
/// The batch loop reads it when it writes the record's metrics line.</summary>
public sealed class RecordContext
{
    private static readonly AsyncLocal<RecordContext?> CurrentRecord = new();
    private readonly CapacityTally _capacity = new();

    /// <summary>The record being handled on this async flow, or null outside a record's handling.</summary>
    public static RecordContext? Current => CurrentRecord.Value;

    /// <summary>The CloudEvents <c>type</c> of the record's event, once parsed.</summary>
    public string? EventType { get; set; }

    /// <summary>The CloudEvents <c>id</c> of the record's event, once parsed.</summary>
    public string? EventId { get; set; }

    /// <summary>The order the event is about, once parsed.</summary>
    public string? OrderId { get; set; }

    /// <summary>Whether the event had been handled before (its effect did not run again now).</summary>
    public bool IsDuplicate { get; private set; }

    /// <summary>DynamoDB write capacity units consumed while handling the record (<c>ConsumedCapacity</c>).</summary>
    public double WriteUnits => _capacity.WriteUnits;

    /// <summary>DynamoDB read capacity units consumed while handling the record.</summary>
    public double ReadUnits => _capacity.ReadUnits;

    /// <summary>Fills the identity of the record in progress (if any) from its parsed envelope; a null leaves that
    /// part as it was. For record handlers other than <see cref="FactRecordHandler"/>, which does it itself.</summary>
    public static void Identify(string? eventType, string? eventId, string? orderId)
    {
        if (Current is not { } record)
        {
            return;
        }

        record.EventType = eventType ?? record.EventType;
        record.EventId = eventId ?? record.EventId;
        record.OrderId = orderId ?? record.OrderId;
    }

    /// <summary>Marks the record in progress (if any) a duplicate: its event's effect had already run.</summary>
    public static void MarkDuplicate()
    {
        if (Current is { } record)
        {
            record.IsDuplicate = true;
        }
    }

    /// <summary>Adds consumed capacity to the record in progress, if any (thread-safe).</summary>
    public static void AddCapacity(double writeUnits, double readUnits)
    {
        if (Current is not { } record)
        {
            return;
        }

        record._capacity.Add(writeUnits, readUnits);
    }

    /// <summary>Makes <paramref name="record"/> the current record until the returned scope is disposed.</summary>
    public static Scope Begin(RecordContext record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var previous = CurrentRecord.Value;
        CurrentRecord.Value = record;
        return new Scope(previous);
    }


    public readonly struct Scope : IDisposable
    {
        private readonly RecordContext? _previous;

        internal Scope(RecordContext? previous) => _previous = previous;

        public void Dispose() => CurrentRecord.Value = _previous;
    }
}

namespace Fanout.Functions.Common.Metrics;

/// <summary>The DynamoDB capacity units consumed during one invocation of a function that is not SQS-driven (order
/// intake, outbox relay, reconciler), flowing with async calls: the DynamoDB client hook
/// (<see cref="Aws.DynamoDbCapacity"/>) adds every call's <c>ConsumedCapacity</c> to the current tally, and the
/// function writes <c>WriteUnits</c>/<c>ReadUnits</c> from it once per invocation. SQS consumers count per record
/// instead (<see cref="Sqs.RecordContext"/>).</summary>
public sealed class CapacityTally
{
    private static readonly AsyncLocal<CapacityTally?> CurrentTally = new();
    private double _writeUnits;
    private double _readUnits;

    /// <summary>The tally of the invocation in progress on this async flow, or null.</summary>
    public static CapacityTally? Current => CurrentTally.Value;

    /// <summary>Write capacity units consumed so far.</summary>
    public double WriteUnits => Volatile.Read(ref _writeUnits);

    /// <summary>Read capacity units consumed so far.</summary>
    public double ReadUnits => Volatile.Read(ref _readUnits);

    /// <summary>Starts a new tally, current until the returned scope is disposed.</summary>
    public static Scope Begin(out CapacityTally tally)
    {
        tally = new CapacityTally();
        var previous = CurrentTally.Value;
        CurrentTally.Value = tally;
        return new Scope(previous);
    }

    /// <summary>Adds consumed capacity to the current tally, if any (thread-safe).</summary>
    public static void AddToCurrent(double writeUnits, double readUnits)
    {
        if (Current is { } tally)
        {
            tally.Add(writeUnits, readUnits);
        }
    }

    /// <summary>Adds consumed capacity (thread-safe).</summary>
    public void Add(double writeUnits, double readUnits)
    {
        Accumulate(ref _writeUnits, writeUnits);
        Accumulate(ref _readUnits, readUnits);
    }

    private static void Accumulate(ref double target, double value)
    {
        if (value == 0)
        {
            return;
        }

        double seen;
        do
        {
            seen = Volatile.Read(ref target);
        }
        while (Interlocked.CompareExchange(ref target, seen + value, seen) != seen);
    }

    public readonly struct Scope : IDisposable
    {
        private readonly CapacityTally? _previous;

        internal Scope(CapacityTally? previous) => _previous = previous;

        public void Dispose() => CurrentTally.Value = _previous;
    }
}

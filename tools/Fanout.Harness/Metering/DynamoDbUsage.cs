namespace Fanout.Harness.Metering;

/// <summary>DynamoDB capacity used by the local system over a window, two ways: by AWS's documented rules from item
/// sizes (<see cref="WriteUnits"/>, <see cref="ReadUnits"/>: 1 KB write steps, 4 KB read steps, ×2 inside
/// transactions, half for eventually consistent reads, global secondary index writes included), and as DynamoDB
/// Local reported it in <c>ConsumedCapacity</c> (a cross-check only: it over-counts transactions).</summary>
public sealed record DynamoDbUsage(
    double WriteUnits,
    double ReadUnits,
    double ReportedWriteUnits,
    double ReportedReadUnits,
    long WriteRequests,
    long ReadRequests)
{
    public static DynamoDbUsage Zero { get; } = new(0, 0, 0, 0, 0, 0);

    /// <summary>What was used between <paramref name="earlier"/> and this snapshot.</summary>
    public DynamoDbUsage Since(DynamoDbUsage earlier)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        return new(
            WriteUnits - earlier.WriteUnits,
            ReadUnits - earlier.ReadUnits,
            ReportedWriteUnits - earlier.ReportedWriteUnits,
            ReportedReadUnits - earlier.ReportedReadUnits,
            WriteRequests - earlier.WriteRequests,
            ReadRequests - earlier.ReadRequests);
    }
}

/// <summary>Counts the DynamoDB capacity every client of this process uses (the functions' and the harness's), from
/// the moment it is attached. Thread-safe.</summary>
public interface IDynamoDbMeter
{
    /// <summary>The totals so far; take two and use <see cref="DynamoDbUsage.Since"/> for a window.</summary>
    DynamoDbUsage Snapshot();
}

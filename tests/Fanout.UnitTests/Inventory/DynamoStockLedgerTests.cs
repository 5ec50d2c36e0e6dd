using System.Collections.Concurrent;
using System.Reflection;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Fanout.Inventory;
using Fanout.Inventory.Core;
using Fanout.UnitTests.AwsShims.Signing;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.Inventory;

[Trait("Category", "Unit")]
public sealed class DynamoStockLedgerTests
{
    private static readonly StockLine[] _lines = [new("SKU-1", 2), new("SKU-2", 1)];

    [Fact]
    public async Task TryReserveAsync_ConflictsThenSuccess_RetriesOnTheInjectedClockAndReserves()
    {
        var (dynamo, script) = ScriptedDynamoDb.Create(n => n <= 2 ? Conflict() : null);
        var time = new DrivenClock(TestClock.Start);

        var result = await time.Run(Ledger(dynamo, time).TryReserveAsync("e-1", "o-1", "h", _lines, "{}", TestContext.Current.CancellationToken));

        Assert.Equal(ReservationStatus.Reserved, result.Status);
        Assert.Equal(3, script.TransactCalls);
        Assert.Equal(2, time.Delays.Count);
        Assert.All(time.Delays, d => Assert.InRange(d, TimeSpan.FromTicks(1), DynamoStockLedger.MaxConflictDelay));
    }

    [Fact]
    public async Task TryReserveAsync_ConflictEveryTime_ThrowsAfterMaxConflictAttempts()
    {
        var (dynamo, script) = ScriptedDynamoDb.Create(_ => Conflict());
        var time = new DrivenClock(TestClock.Start);

        await time.RunThrows<TransactionCanceledException>(
            Ledger(dynamo, time).TryReserveAsync("e-1", "o-1", "h", _lines, "{}", TestContext.Current.CancellationToken));

        Assert.Equal(DynamoStockLedger.MaxConflictAttempts, script.TransactCalls);
        Assert.Equal(8, DynamoStockLedger.MaxConflictAttempts);
    }

    [Fact]
    public async Task TryReserveAsync_StockConditionFails_IsInsufficientWithoutRetry()
    {
        var (dynamo, script) = ScriptedDynamoDb.Create(_ => Canceled("None", "None", "ConditionalCheckFailed"));
        var time = new DrivenClock(TestClock.Start);

        var result = await time.Run(Ledger(dynamo, time).TryReserveAsync("e-1", "o-1", "h", _lines, "{}", TestContext.Current.CancellationToken));

        Assert.Equal(ReservationStatus.Insufficient, result.Status);
        Assert.Equal(["SKU-2"], result.UnavailableSkus);
        Assert.Equal(1, script.TransactCalls);
        Assert.Empty(time.Delays);
    }

    [Fact]
    public async Task TryReserveAsync_EventAlreadyRecorded_ReturnsTheRecordedOutcomeWithoutRetry()
    {
        var item = new Dictionary<string, AttributeValue> { ["payloadHash"] = new() { S = "h0" }, ["result"] = new() { S = "{\"r\":1}" } };
        var (dynamo, script) = ScriptedDynamoDb.Create(_ => new TransactionCanceledException("canceled")
        {
            CancellationReasons = [new CancellationReason { Code = "ConditionalCheckFailed", Item = item }, new CancellationReason { Code = "None" }],
        });
        var time = new DrivenClock(TestClock.Start);

        var result = await time.Run(Ledger(dynamo, time).TryReserveAsync("e-1", "o-1", "h", _lines, "{}", TestContext.Current.CancellationToken));

        Assert.Equal(ReservationStatus.AlreadyHandled, result.Status);
        Assert.Equal(new RecordedOutcome("h0", "{\"r\":1}"), result.Existing);
        Assert.Equal(1, script.TransactCalls);
    }

    [Fact]
    public async Task TryReserveAsync_Success_WritesTheOutcomeAndOneGuardedDecrementPerLine()
    {
        var (dynamo, script) = ScriptedDynamoDb.Create(_ => null);

        var result = await Ledger(dynamo, TestClock.Create()).TryReserveAsync("e-1", "o-1", "h", _lines, "{}", TestContext.Current.CancellationToken);

        Assert.Equal(ReservationStatus.Reserved, result.Status);
        var items = Assert.Single(script.Transactions).TransactItems;
        Assert.Equal(3, items.Count);
        Assert.Equal("EVENT#e-1", items[0].Put.Item["pk"].S);
        Assert.Equal("SKU#SKU-2", items[2].Update.Key["pk"].S);
        Assert.Equal("1", items[2].Update.ExpressionAttributeValues[":qty"].N);
    }

    private static DynamoStockLedger Ledger(IAmazonDynamoDB dynamo, TimeProvider time) => new(dynamo, "fanout-inventory", TimeSpan.FromDays(14), time);

    private static TransactionCanceledException Conflict() => Canceled("None", "TransactionConflict", "None");

    private static TransactionCanceledException Canceled(params string[] codes) =>
        new("Transaction cancelled") { CancellationReasons = [.. codes.Select(c => new CancellationReason { Code = c })] };
}

/// <summary>An <see cref="IAmazonDynamoDB"/> whose <c>TransactWriteItems</c> answers from a script (null = success,
/// else the exception to throw), counting calls. Any other call fails loudly.</summary>
#pragma warning disable CA1852 // DispatchProxy.Create derives a proxy type from this class at run time, so it must stay unsealed.
internal class ScriptedDynamoDb : DispatchProxy
#pragma warning restore CA1852
{
    private readonly ConcurrentQueue<TransactWriteItemsRequest> _transactions = new();
    private Func<int, Exception?> _script = _ => null;

    public int TransactCalls => _transactions.Count;

    public IReadOnlyList<TransactWriteItemsRequest> Transactions => [.. _transactions];

    public static (IAmazonDynamoDB Client, ScriptedDynamoDb Script) Create(Func<int, Exception?> script)
    {
        var client = Create<IAmazonDynamoDB, ScriptedDynamoDb>();
        var proxy = (ScriptedDynamoDb)(object)client;
        proxy._script = script;
        return (client, proxy);
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name == nameof(IAmazonDynamoDB.TransactWriteItemsAsync) && args is [TransactWriteItemsRequest request, ..])
        {
            _transactions.Enqueue(request);
            var failure = _script(_transactions.Count);
            return failure is null ? Task.FromResult(new TransactWriteItemsResponse()) : Task.FromException<TransactWriteItemsResponse>(failure);
        }

        throw new NotSupportedException($"{nameof(ScriptedDynamoDb)} does not implement {targetMethod.Name}.");
    }
}

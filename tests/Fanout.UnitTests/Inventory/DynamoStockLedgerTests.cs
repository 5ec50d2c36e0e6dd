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
        var (dynamo, script) = ScriptedDynamoDb.Create(_ => Canceled("None", "None", "None", "None", "ConditionalCheckFailed"));
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
        Assert.Equal(5, items.Count);
        Assert.Equal("EVENT#e-1", items[0].Put.Item["pk"].S);
        Assert.Equal("CANCELLED#o-1", items[1].ConditionCheck.Key["pk"].S);
        Assert.Equal("attribute_not_exists(#pk)", items[1].ConditionCheck.ConditionExpression);
        Assert.Equal("RESERVATION#o-1", items[2].Put.Item["pk"].S);
        Assert.Equal("RESERVED", items[2].Put.Item["status"].S);
        Assert.Equal(
            [("SKU-1", "2"), ("SKU-2", "1")],
            items[2].Put.Item["lines"].L.Select(l => (l.M["sku"].S, l.M["quantity"].N)));
        Assert.Equal("SKU#SKU-1", items[3].Update.Key["pk"].S);
        Assert.Equal("SKU#SKU-2", items[4].Update.Key["pk"].S);
        Assert.Equal("1", items[4].Update.ExpressionAttributeValues[":qty"].N);
        Assert.Equal("attribute_exists(#pk) AND available >= :qty", items[4].Update.ConditionExpression);
    }

    [Fact]
    public async Task TryReserveAsync_TombstoneExists_IsCancelledAndRecordsTheEventWithNoFact()
    {
        var (dynamo, script) = ScriptedDynamoDb.Create(_ => Canceled("None", "ConditionalCheckFailed", "None", "None", "ConditionalCheckFailed"));
        var time = new DrivenClock(TestClock.Start);

        var result = await time.Run(Ledger(dynamo, time).TryReserveAsync("e-1", "o-1", "h", _lines, "{}", TestContext.Current.CancellationToken));

        Assert.Equal(ReservationStatus.Cancelled, result.Status);
        Assert.Empty(result.UnavailableSkus);
        Assert.Equal(1, script.TransactCalls);
        var put = Assert.Single(script.Puts);
        Assert.Equal("EVENT#e-1", put.Item["pk"].S);
        Assert.Equal("CANCELLED", put.Item["outcome"].S);
        Assert.Equal("", put.Item["result"].S);
        Assert.Equal("attribute_not_exists(#pk)", put.ConditionExpression);
    }

    [Fact]
    public async Task TryReleaseAsync_ReservationHeld_GivesBackEachLineAndMarksItReleasedInOneTransaction()
    {
        var (dynamo, script) = ScriptedDynamoDb.Create(_ => null);
        script.Items["RESERVATION#o-1"] = Reservation("RESERVED", ("SKU-1", 2), ("SKU-2", 1));
        IReadOnlyList<StockLine>? rendered = null;

        var result = await Ledger(dynamo, TestClock.Create()).TryReleaseAsync("e-9", "o-1", "h", lines =>
        {
            rendered = lines;
            return "{\"released\":true}";
        }, TestContext.Current.CancellationToken);

        Assert.Equal(ReleaseStatus.Released, result.Status);
        Assert.Equal(_lines, result.Released);
        Assert.Equal(_lines, rendered);
        Assert.Equal(new RecordedOutcome("h", "{\"released\":true}"), result.Outcome);
        var items = Assert.Single(script.Transactions).TransactItems;
        Assert.Equal(5, items.Count);
        Assert.Equal(("EVENT#e-9", "RELEASED", "{\"released\":true}"), (items[0].Put.Item["pk"].S, items[0].Put.Item["outcome"].S, items[0].Put.Item["result"].S));
        Assert.Equal("CANCELLED#o-1", items[1].Update.Key["pk"].S);
        Assert.Null(items[1].Update.ConditionExpression);
        Assert.Equal("RESERVATION#o-1", items[2].Update.Key["pk"].S);
        Assert.Equal("#status = :reserved", items[2].Update.ConditionExpression);
        Assert.Equal("RELEASED", items[2].Update.ExpressionAttributeValues[":released"].S);
        Assert.Equal(("SKU#SKU-1", "2"), (items[3].Update.Key["pk"].S, items[3].Update.ExpressionAttributeValues[":qty"].N));
        Assert.Equal(("SKU#SKU-2", "1"), (items[4].Update.Key["pk"].S, items[4].Update.ExpressionAttributeValues[":qty"].N));
        Assert.Equal("SET available = if_not_exists(available, :zero) + :qty, updatedAt = :now", items[4].Update.UpdateExpression);
    }

    [Fact]
    public async Task TryReleaseAsync_NoReservation_ReleasesNothingAndChecksTheReservationIsStillAbsent()
    {
        var (dynamo, script) = ScriptedDynamoDb.Create(_ => null);

        var result = await Ledger(dynamo, TestClock.Create()).TryReleaseAsync("e-9", "o-1", "h", lines => lines.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), TestContext.Current.CancellationToken);

        Assert.Equal((ReleaseStatus.Released, 0, "0"), (result.Status, result.Released.Count, result.Outcome.OutcomeJson));
        var items = Assert.Single(script.Transactions).TransactItems;
        Assert.Equal(3, items.Count);
        Assert.Equal("RESERVATION#o-1", items[2].ConditionCheck.Key["pk"].S);
        Assert.Equal("attribute_not_exists(#pk)", items[2].ConditionCheck.ConditionExpression);
    }

    [Fact]
    public async Task TryReleaseAsync_ReservationAlreadyReleased_RestatesItsLinesAndTouchesNoStock()
    {
        var (dynamo, script) = ScriptedDynamoDb.Create(_ => null);
        script.Items["RESERVATION#o-1"] = Reservation("RELEASED", ("SKU-1", 2));
        IReadOnlyList<StockLine>? rendered = null;

        var result = await Ledger(dynamo, TestClock.Create()).TryReleaseAsync("e-9", "o-1", "h", lines =>
        {
            rendered = lines;
            return "{}";
        }, TestContext.Current.CancellationToken);

        Assert.Empty(result.Released);
        Assert.Equal([new StockLine("SKU-1", 2)], rendered);
        var items = Assert.Single(script.Transactions).TransactItems;
        Assert.Equal(3, items.Count);
        Assert.Equal("#status = :status", items[2].ConditionCheck.ConditionExpression);
        Assert.Equal("RELEASED", items[2].ConditionCheck.ExpressionAttributeValues[":status"].S);
    }

    [Fact]
    public async Task TryReleaseAsync_ReservationCommittedBetweenReadAndWrite_ReadsAgainAndReleasesIt()
    {
        var (dynamo, script) = ScriptedDynamoDb.Create(n => n == 1 ? Canceled("None", "None", "ConditionalCheckFailed") : null);
        script.BeforeGet = n =>
        {
            if (n == 2)
            {
                script.Items["RESERVATION#o-1"] = Reservation("RESERVED", ("SKU-1", 3));
            }
        };
        var time = new DrivenClock(TestClock.Start);

        var result = await time.Run(Ledger(dynamo, time).TryReleaseAsync("e-9", "o-1", "h", _ => "{}", TestContext.Current.CancellationToken));

        Assert.Equal([new StockLine("SKU-1", 3)], result.Released);
        Assert.Equal(2, script.TransactCalls);
        Assert.Equal(4, script.Transactions[1].TransactItems.Count);
    }

    [Fact]
    public async Task TryReleaseAsync_EventAlreadyRecorded_IsAlreadyHandledWithTheRecordedOutcome()
    {
        var item = new Dictionary<string, AttributeValue> { ["payloadHash"] = new() { S = "h0" }, ["result"] = new() { S = "{\"r\":2}" } };
        var (dynamo, script) = ScriptedDynamoDb.Create(_ => new TransactionCanceledException("canceled")
        {
            CancellationReasons = [new CancellationReason { Code = "ConditionalCheckFailed", Item = item }, new CancellationReason { Code = "None" }, new CancellationReason { Code = "None" }],
        });
        script.Items["RESERVATION#o-1"] = Reservation("RESERVED", ("SKU-1", 2));

        var result = await Ledger(dynamo, TestClock.Create()).TryReleaseAsync("e-9", "o-1", "h", _ => "{}", TestContext.Current.CancellationToken);

        Assert.Equal((ReleaseStatus.AlreadyHandled, 0), (result.Status, result.Released.Count));
        Assert.Equal(new RecordedOutcome("h0", "{\"r\":2}"), result.Outcome);
        Assert.Equal(1, script.TransactCalls);
    }

    [Fact]
    public async Task TryRecordRejectionAsync_TombstoneExists_RecordsTheEventWithNoFactAndReturnsIt()
    {
        var (dynamo, script) = ScriptedDynamoDb.Create(_ => Canceled("None", "ConditionalCheckFailed"));

        var existing = await Ledger(dynamo, TestClock.Create()).TryRecordRejectionAsync("e-1", "o-1", "h", "{}", TestContext.Current.CancellationToken);

        Assert.Equal(new RecordedOutcome("h", RecordedOutcome.NoFact), existing);
        Assert.Equal("CANCELLED#o-1", script.Transactions[0].TransactItems[1].ConditionCheck.Key["pk"].S);
        Assert.Equal("CANCELLED", Assert.Single(script.Puts).Item["outcome"].S);
    }

    [Fact]
    public async Task TryRecordRejectionAsync_New_RecordsTheRejectionAndReturnsNull()
    {
        var (dynamo, script) = ScriptedDynamoDb.Create(_ => null);

        Assert.Null(await Ledger(dynamo, TestClock.Create()).TryRecordRejectionAsync("e-1", "o-1", "h", "{\"x\":1}", TestContext.Current.CancellationToken));

        var items = Assert.Single(script.Transactions).TransactItems;
        Assert.Equal(("EVENT#e-1", "REJECTED", "{\"x\":1}"), (items[0].Put.Item["pk"].S, items[0].Put.Item["outcome"].S, items[0].Put.Item["result"].S));
        Assert.Empty(script.Puts);
    }

    private static Dictionary<string, AttributeValue> Reservation(string status, params (string Sku, int Quantity)[] lines) => new()
    {
        ["pk"] = new() { S = "RESERVATION#o-1" },
        ["status"] = new() { S = status },
        ["lines"] = new()
        {
            L = [.. lines.Select(l => new AttributeValue { M = new Dictionary<string, AttributeValue> { ["sku"] = new() { S = l.Sku }, ["quantity"] = new() { N = l.Quantity.ToString(System.Globalization.CultureInfo.InvariantCulture) } } })],
        },
    };

    private static DynamoStockLedger Ledger(IAmazonDynamoDB dynamo, TimeProvider time) => new(dynamo, "fanout-inventory", TimeSpan.FromDays(14), time);

    private static TransactionCanceledException Conflict() => Canceled("None", "TransactionConflict", "None");

    private static TransactionCanceledException Canceled(params string[] codes) =>
        new("Transaction cancelled") { CancellationReasons = [.. codes.Select(c => new CancellationReason { Code = c })] };
}

/// <summary>An <see cref="IAmazonDynamoDB"/> whose <c>TransactWriteItems</c> answers from a script (null = success,
/// else the exception to throw), counting calls; <c>GetItem</c> answers from <see cref="Items"/>; <c>PutItem</c> is
/// recorded and succeeds. Any other call fails loudly.</summary>
#pragma warning disable CA1852 // DispatchProxy.Create derives a proxy type from this class at run time, so it must stay unsealed.
internal class ScriptedDynamoDb : DispatchProxy
#pragma warning restore CA1852
{
    private readonly ConcurrentQueue<TransactWriteItemsRequest> _transactions = new();
    private readonly ConcurrentQueue<PutItemRequest> _puts = new();
    private Func<int, Exception?> _script = _ => null;
    private int _gets;

    /// <summary>Items by partition key, for <c>GetItem</c>.</summary>
    public ConcurrentDictionary<string, Dictionary<string, AttributeValue>> Items { get; } = new(StringComparer.Ordinal);

    /// <summary>Runs before the n-th <c>GetItem</c> (1-based) answers.</summary>
    public Action<int> BeforeGet { get; set; } = _ => { };

    public IReadOnlyList<PutItemRequest> Puts => [.. _puts];

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

        if (targetMethod.Name == nameof(IAmazonDynamoDB.GetItemAsync) && args is [GetItemRequest get, ..])
        {
            BeforeGet(Interlocked.Increment(ref _gets));
            return Task.FromResult(new GetItemResponse { Item = Items.TryGetValue(get.Key["pk"].S, out var item) ? item : null });
        }

        if (targetMethod.Name == nameof(IAmazonDynamoDB.PutItemAsync) && args is [PutItemRequest put, ..])
        {
            _puts.Enqueue(put);
            return Task.FromResult(new PutItemResponse());
        }

        throw new NotSupportedException($"{nameof(ScriptedDynamoDb)} does not implement {targetMethod.Name}.");
    }
}

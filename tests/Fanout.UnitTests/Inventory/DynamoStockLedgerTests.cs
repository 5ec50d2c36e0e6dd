using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Fanout.Contracts.Events;
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
    public async Task TryReserveAsync_SameEventAlreadyRecorded_ReturnsTheRecordedOutcomeWithoutRetry()
    {
        var (dynamo, script) = ScriptedDynamoDb.Create(_ => OrderConditionFailed(Order("RESERVED", placedEventId: "e-1", placedHash: "h0", placedResult: "{\"r\":1}")));
        var time = new DrivenClock(TestClock.Start);

        var result = await time.Run(Ledger(dynamo, time).TryReserveAsync("e-1", "o-1", "h", _lines, "{}", TestContext.Current.CancellationToken));

        Assert.Equal(ReservationStatus.AlreadyHandled, result.Status);
        Assert.Equal(new RecordedOutcome("h0", "{\"r\":1}"), result.Existing);
        Assert.Equal(1, script.TransactCalls);
        Assert.Empty(script.Updates);
    }

    [Fact]
    public async Task TryReserveAsync_OrderPlacedByAnotherEvent_IsPoison()
    {
        var (dynamo, _) = ScriptedDynamoDb.Create(_ => OrderConditionFailed(Order("RESERVED", placedEventId: "e-0", placedHash: "h", placedResult: "{}")));

        await Assert.ThrowsAsync<PoisonMessageException>(
            () => Ledger(dynamo, TestClock.Create()).TryReserveAsync("e-1", "o-1", "h", _lines, "{}", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task TryReserveAsync_Success_PutsTheOrderItemIfAbsentAndOneGuardedDecrementPerLine()
    {
        var (dynamo, script) = ScriptedDynamoDb.Create(_ => null);

        var result = await Ledger(dynamo, TestClock.Create()).TryReserveAsync("e-1", "o-1", "h", _lines, "{\"x\":1}", TestContext.Current.CancellationToken);

        Assert.Equal(ReservationStatus.Reserved, result.Status);
        var items = Assert.Single(script.Transactions).TransactItems;
        Assert.Equal(3, items.Count);
        var put = items[0].Put;
        Assert.Equal(("ORDER#o-1", "RESERVED", "e-1", "h", "{\"x\":1}"), (put.Item["pk"].S, put.Item["state"].S, put.Item["placedEventId"].S, put.Item["placedHash"].S, put.Item["placedResult"].S));
        Assert.Equal([("SKU-1", "2"), ("SKU-2", "1")], put.Item["lines"].L.Select(l => (l.M["sku"].S, l.M["quantity"].N)));
        Assert.Equal("attribute_not_exists(#pk)", put.ConditionExpression);
        Assert.Equal(ReturnValuesOnConditionCheckFailure.ALL_OLD, put.ReturnValuesOnConditionCheckFailure);
        Assert.Equal("SKU#SKU-1", items[1].Update.Key["pk"].S);
        Assert.Equal("SKU#SKU-2", items[2].Update.Key["pk"].S);
        Assert.Equal("1", items[2].Update.ExpressionAttributeValues[":qty"].N);
        Assert.Equal("attribute_exists(#pk) AND available >= :qty", items[2].Update.ConditionExpression);
    }

    [Fact]
    public async Task TryReserveAsync_TombstoneExists_IsCancelledAndRecordsTheEventOnItWithNoFact()
    {
        var (dynamo, script) = ScriptedDynamoDb.Create(_ => OrderConditionFailed(Order("CANCELLED", cancelEventId: "c-1"), "ConditionalCheckFailed"));
        var time = new DrivenClock(TestClock.Start);

        var result = await time.Run(Ledger(dynamo, time).TryReserveAsync("e-1", "o-1", "h", _lines, "{}", TestContext.Current.CancellationToken));

        Assert.Equal(ReservationStatus.Cancelled, result.Status);
        Assert.Empty(result.UnavailableSkus);
        Assert.Equal(1, script.TransactCalls);
        var update = Assert.Single(script.Updates);
        Assert.Equal("ORDER#o-1", update.Key["pk"].S);
        Assert.Equal(("e-1", "h", ""), (update.ExpressionAttributeValues[":event"].S, update.ExpressionAttributeValues[":hash"].S, update.ExpressionAttributeValues[":result"].S));
        Assert.Equal("attribute_exists(#pk) AND attribute_not_exists(placedEventId)", update.ConditionExpression);
    }

    [Fact]
    public async Task TryReserveAsync_TombstoneAndTheLateEventRecordedConcurrently_IsAlreadyHandledWithNoFact()
    {
        var (dynamo, script) = ScriptedDynamoDb.Create(_ => OrderConditionFailed(Order("CANCELLED", cancelEventId: "c-1")));
        script.UpdateFailure = _ => new ConditionalCheckFailedException("failed") { Item = Order("CANCELLED", cancelEventId: "c-1", placedEventId: "e-1", placedHash: "h", placedResult: "") };

        var result = await Ledger(dynamo, TestClock.Create()).TryReserveAsync("e-1", "o-1", "h", _lines, "{}", TestContext.Current.CancellationToken);

        Assert.Equal((ReservationStatus.AlreadyHandled, new RecordedOutcome("h", RecordedOutcome.NoFact)), (result.Status, result.Existing));
    }

    [Fact]
    public async Task TryReleaseAsync_ReservationHeld_GivesBackEachLineAndMarksTheOrderReleasedInOneTransaction()
    {
        var (dynamo, script) = ScriptedDynamoDb.Create(_ => null);
        script.Items["ORDER#o-1"] = Order("RESERVED", placedEventId: "e-1", lines: [("SKU-1", 2), ("SKU-2", 1)]);
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
        Assert.Equal(3, items.Count);
        var order = items[0].Update;
        Assert.Equal("ORDER#o-1", order.Key["pk"].S);
        Assert.Equal("#state = :read AND attribute_not_exists(cancelEventId)", order.ConditionExpression);
        Assert.Equal(("RESERVED", "RELEASED", "e-9", "{\"released\":true}"), (order.ExpressionAttributeValues[":read"].S, order.ExpressionAttributeValues[":state"].S, order.ExpressionAttributeValues[":event"].S, order.ExpressionAttributeValues[":result"].S));
        Assert.EndsWith(", placedResult = :none", order.UpdateExpression, StringComparison.Ordinal);
        Assert.Equal("", order.ExpressionAttributeValues[":none"].S);
        Assert.Equal(("SKU#SKU-1", "2"), (items[1].Update.Key["pk"].S, items[1].Update.ExpressionAttributeValues[":qty"].N));
        Assert.Equal(("SKU#SKU-2", "1"), (items[2].Update.Key["pk"].S, items[2].Update.ExpressionAttributeValues[":qty"].N));
        Assert.Equal("SET available = if_not_exists(available, :zero) + :qty, updatedAt = :now", items[2].Update.UpdateExpression);
        Assert.Empty(script.Updates);
    }

    [Fact]
    public async Task TryReleaseAsync_NoOrderItem_WritesTheTombstoneIfAbsentWithoutATransaction()
    {
        var (dynamo, script) = ScriptedDynamoDb.Create(_ => null);

        var result = await Ledger(dynamo, TestClock.Create()).TryReleaseAsync("e-9", "o-1", "h", lines => lines.Count.ToString(CultureInfo.InvariantCulture), TestContext.Current.CancellationToken);

        Assert.Equal((ReleaseStatus.Released, 0, "0"), (result.Status, result.Released.Count, result.Outcome.OutcomeJson));
        Assert.Equal(0, script.TransactCalls);
        var update = Assert.Single(script.Updates);
        Assert.Equal("ORDER#o-1", update.Key["pk"].S);
        Assert.Equal("attribute_not_exists(#pk)", update.ConditionExpression);
        Assert.DoesNotContain("placedResult", update.UpdateExpression, StringComparison.Ordinal);
        Assert.Equal(("CANCELLED", "e-9", "0"), (update.ExpressionAttributeValues[":state"].S, update.ExpressionAttributeValues[":event"].S, update.ExpressionAttributeValues[":result"].S));
    }

    [Fact]
    public async Task TryReleaseAsync_OrderRejected_RecordsTheCancellationConditionedOnTheRejectionAndTouchesNoStock()
    {
        var (dynamo, script) = ScriptedDynamoDb.Create(_ => null);
        script.Items["ORDER#o-1"] = Order("REJECTED", placedEventId: "e-1");

        var result = await Ledger(dynamo, TestClock.Create()).TryReleaseAsync("e-9", "o-1", "h", _ => "{}", TestContext.Current.CancellationToken);

        Assert.Equal((ReleaseStatus.Released, 0), (result.Status, result.Released.Count));
        Assert.Equal(0, script.TransactCalls);
        var update = Assert.Single(script.Updates);
        Assert.Equal("#state = :read AND attribute_not_exists(cancelEventId)", update.ConditionExpression);
        Assert.Equal(("REJECTED", "CANCELLED"), (update.ExpressionAttributeValues[":read"].S, update.ExpressionAttributeValues[":state"].S));
    }

    [Fact]
    public async Task TryReleaseAsync_ReservationCommittedBetweenReadAndWrite_ReadsAgainAndReleasesIt()
    {
        var (dynamo, script) = ScriptedDynamoDb.Create(_ => null);
        script.UpdateFailure = n => n == 1 ? new ConditionalCheckFailedException("failed") : null;
        script.BeforeGet = n =>
        {
            if (n == 2)
            {
                script.Items["ORDER#o-1"] = Order("RESERVED", placedEventId: "e-1", lines: [("SKU-1", 3)]);
            }
        };
        var time = new DrivenClock(TestClock.Start);

        var result = await time.Run(Ledger(dynamo, time).TryReleaseAsync("e-9", "o-1", "h", _ => "{}", TestContext.Current.CancellationToken));

        Assert.Equal([new StockLine("SKU-1", 3)], result.Released);
        Assert.Single(script.Updates);
        Assert.Equal(2, Assert.Single(script.Transactions).TransactItems.Count);
        Assert.Single(time.Delays);
    }

    [Fact]
    public async Task TryReleaseAsync_SameEventAlreadyRecorded_IsAlreadyHandledWithTheRecordedOutcomeAndWritesNothing()
    {
        var (dynamo, script) = ScriptedDynamoDb.Create(_ => null);
        script.Items["ORDER#o-1"] = Order("RELEASED", placedEventId: "e-1", cancelEventId: "e-9", cancelHash: "h0", cancelResult: "{\"r\":2}", lines: [("SKU-1", 2)]);

        var result = await Ledger(dynamo, TestClock.Create()).TryReleaseAsync("e-9", "o-1", "h", _ => "{}", TestContext.Current.CancellationToken);

        Assert.Equal((ReleaseStatus.AlreadyHandled, 0), (result.Status, result.Released.Count));
        Assert.Equal(new RecordedOutcome("h0", "{\"r\":2}"), result.Outcome);
        Assert.Equal((0, 0), (script.TransactCalls, script.Updates.Count));
    }

    [Fact]
    public async Task TryReleaseAsync_OrderCancelledByAnotherEvent_IsPoison()
    {
        var (dynamo, script) = ScriptedDynamoDb.Create(_ => null);
        script.Items["ORDER#o-1"] = Order("CANCELLED", cancelEventId: "e-8", cancelHash: "h", cancelResult: "{}");

        await Assert.ThrowsAsync<PoisonMessageException>(
            () => Ledger(dynamo, TestClock.Create()).TryReleaseAsync("e-9", "o-1", "h", _ => "{}", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task TryRecordRejectionAsync_New_PutsTheRejectedOrderItemIfAbsentAndReturnsNull()
    {
        var (dynamo, script) = ScriptedDynamoDb.Create(_ => null);

        Assert.Null(await Ledger(dynamo, TestClock.Create()).TryRecordRejectionAsync("e-1", "o-1", "h", "{\"x\":1}", TestContext.Current.CancellationToken));

        var put = Assert.Single(script.Puts);
        Assert.Equal(("ORDER#o-1", "REJECTED", "e-1", "{\"x\":1}"), (put.Item["pk"].S, put.Item["state"].S, put.Item["placedEventId"].S, put.Item["placedResult"].S));
        Assert.Equal("attribute_not_exists(#pk)", put.ConditionExpression);
        Assert.Equal(0, script.TransactCalls);
    }

    [Fact]
    public async Task TryRecordRejectionAsync_TombstoneExists_RecordsTheEventWithNoFactAndReturnsIt()
    {
        var (dynamo, script) = ScriptedDynamoDb.Create(_ => null);
        script.PutFailure = _ => new ConditionalCheckFailedException("failed") { Item = Order("CANCELLED", cancelEventId: "c-1") };

        var existing = await Ledger(dynamo, TestClock.Create()).TryRecordRejectionAsync("e-1", "o-1", "h", "{}", TestContext.Current.CancellationToken);

        Assert.Equal(new RecordedOutcome("h", RecordedOutcome.NoFact), existing);
        Assert.Equal("e-1", Assert.Single(script.Updates).ExpressionAttributeValues[":event"].S);
    }

    [Fact]
    public async Task TryRecordRejectionAsync_SameEventReservedMeanwhile_ReturnsTheReservation()
    {
        var (dynamo, script) = ScriptedDynamoDb.Create(_ => null);
        script.PutFailure = _ => new ConditionalCheckFailedException("failed") { Item = Order("RESERVED", placedEventId: "e-1", placedHash: "h", placedResult: "{\"reserved\":1}") };

        var existing = await Ledger(dynamo, TestClock.Create()).TryRecordRejectionAsync("e-1", "o-1", "h", "{}", TestContext.Current.CancellationToken);

        Assert.Equal(new RecordedOutcome("h", "{\"reserved\":1}"), existing);
        Assert.Empty(script.Updates);
    }

    private static Dictionary<string, AttributeValue> Order(
        string state,
        string? placedEventId = null,
        string placedHash = "h",
        string placedResult = "{}",
        string? cancelEventId = null,
        string cancelHash = "h",
        string cancelResult = "{}",
        (string Sku, int Quantity)[]? lines = null)
    {
        var item = new Dictionary<string, AttributeValue>
        {
            ["pk"] = new() { S = "ORDER#o-1" },
            ["orderId"] = new() { S = "o-1" },
            ["state"] = new() { S = state },
        };
        if (placedEventId is not null)
        {
            item["placedEventId"] = new() { S = placedEventId };
            item["placedHash"] = new() { S = placedHash };
            item["placedResult"] = new() { S = placedResult };
        }

        if (cancelEventId is not null)
        {
            item["cancelEventId"] = new() { S = cancelEventId };
            item["cancelHash"] = new() { S = cancelHash };
            item["cancelResult"] = new() { S = cancelResult };
        }

        if (lines is not null)
        {
            item["lines"] = new()
            {
                L = [.. lines.Select(l => new AttributeValue { M = new Dictionary<string, AttributeValue> { ["sku"] = new() { S = l.Sku }, ["quantity"] = new() { N = l.Quantity.ToString(CultureInfo.InvariantCulture) } } })],
            };
        }

        return item;
    }

    private static DynamoStockLedger Ledger(IAmazonDynamoDB dynamo, TimeProvider time) => new(dynamo, "fanout-inventory", time);

    private static TransactionCanceledException Conflict() => Canceled("None", "TransactionConflict", "None");

    /// <summary>The order item's condition failed (it exists, returned as ALL_OLD); the other items answer <paramref name="others"/>.</summary>
    private static TransactionCanceledException OrderConditionFailed(Dictionary<string, AttributeValue> item, params string[] others) => new("Transaction cancelled")
    {
        CancellationReasons = [new CancellationReason { Code = "ConditionalCheckFailed", Item = item }, .. others.Select(c => new CancellationReason { Code = c })],
    };

    private static TransactionCanceledException Canceled(params string[] codes) =>
        new("Transaction cancelled") { CancellationReasons = [.. codes.Select(c => new CancellationReason { Code = c })] };
}

/// <summary>An <see cref="IAmazonDynamoDB"/> whose <c>TransactWriteItems</c> answers from a script (null = success,
/// else the exception to throw), counting calls; <c>GetItem</c> answers from <see cref="Items"/>; <c>PutItem</c> and
/// <c>UpdateItem</c> are recorded and answer from <see cref="PutFailure"/> and <see cref="UpdateFailure"/>. Any other
/// call fails loudly.</summary>
#pragma warning disable CA1852 // DispatchProxy.Create derives a proxy type from this class at run time, so it must stay unsealed.
internal class ScriptedDynamoDb : DispatchProxy
#pragma warning restore CA1852
{
    private readonly ConcurrentQueue<TransactWriteItemsRequest> _transactions = new();
    private readonly ConcurrentQueue<PutItemRequest> _puts = new();
    private readonly ConcurrentQueue<UpdateItemRequest> _updates = new();
    private Func<int, Exception?> _script = _ => null;
    private int _gets;

    /// <summary>Items by partition key, for <c>GetItem</c>.</summary>
    public ConcurrentDictionary<string, Dictionary<string, AttributeValue>> Items { get; } = new(StringComparer.Ordinal);

    /// <summary>Runs before the n-th <c>GetItem</c> (1-based) answers.</summary>
    public Action<int> BeforeGet { get; set; } = _ => { };

    /// <summary>The n-th <c>PutItem</c>'s (1-based) failure, or null for success.</summary>
    public Func<int, Exception?> PutFailure { get; set; } = _ => null;

    /// <summary>The n-th <c>UpdateItem</c>'s (1-based) failure, or null for success.</summary>
    public Func<int, Exception?> UpdateFailure { get; set; } = _ => null;

    public IReadOnlyList<PutItemRequest> Puts => [.. _puts];

    public IReadOnlyList<UpdateItemRequest> Updates => [.. _updates];

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
            return Answer(_script(_transactions.Count), new TransactWriteItemsResponse());
        }

        if (targetMethod.Name == nameof(IAmazonDynamoDB.GetItemAsync) && args is [GetItemRequest get, ..])
        {
            BeforeGet(Interlocked.Increment(ref _gets));
            return Task.FromResult(new GetItemResponse { Item = Items.TryGetValue(get.Key["pk"].S, out var item) ? item : null });
        }

        if (targetMethod.Name == nameof(IAmazonDynamoDB.PutItemAsync) && args is [PutItemRequest put, ..])
        {
            _puts.Enqueue(put);
            return Answer(PutFailure(_puts.Count), new PutItemResponse());
        }

        if (targetMethod.Name == nameof(IAmazonDynamoDB.UpdateItemAsync) && args is [UpdateItemRequest update, ..])
        {
            _updates.Enqueue(update);
            return Answer(UpdateFailure(_updates.Count), new UpdateItemResponse());
        }

        throw new NotSupportedException($"{nameof(ScriptedDynamoDb)} does not implement {targetMethod.Name}.");
    }

    private static Task<T> Answer<T>(Exception? failure, T response) => failure is null ? Task.FromResult(response) : Task.FromException<T>(failure);
}

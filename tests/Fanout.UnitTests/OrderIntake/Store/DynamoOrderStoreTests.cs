using System.Globalization;
using Amazon.DynamoDBv2.Model;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Publishing;
using Fanout.OrderIntake;
using Fanout.OrderIntake.Core;
using Fanout.Orders;
using Fanout.Orders.Core;
using Fanout.Orders.Outbox;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;
using Microsoft.Extensions.Time.Testing;

namespace Fanout.UnitTests.OrderIntake.Store;

/// <summary>The DynamoDB order store's answers to what DynamoDB can throw, with the exact exceptions AWS uses.</summary>
[Trait("Category", "Unit")]
public sealed class DynamoOrderStoreTests : IDisposable
{
    private const string Table = "orders-table";
    private const string Key = "key-1";
    private const string OrderId = "0195a1b2-c3d4-7e5f-8a9b-00000000000a";
    private const string OtherOrderId = "0195a1b2-c3d4-7e5f-8a9b-00000000000b";
    private readonly FakeTimeProvider _time = TestClock.Create();
    private readonly ScriptedDynamoDb _dynamo = new();
    private readonly DynamoOrderStore _store;

    public DynamoOrderStoreTests()
    {
        _store = new DynamoOrderStore(_dynamo, Table, _time, new DynamoOutbox(_dynamo, Table));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _dynamo.Dispose();

    private long Now => _time.GetUtcNow().ToUnixTimeSeconds();

    [Fact]
    public async Task CreateAsync_NewKey_WritesKeyAndOrderInOneTransactionThatTakesOverOnlyExpiredKeys()
    {
        var result = await _store.CreateAsync(Record(OrderId, "hash-1"), Placed(OrderId), Key, Ct);

        Assert.Equal(CreateOrderStatus.Created, result.Status);
        Assert.Equal(OrderId, result.Order!.OrderId);
        var request = Assert.IsType<TransactWriteItemsRequest>(Assert.Single(_dynamo.Requests));
        Assert.Equal(OrderId, request.ClientRequestToken);
        Assert.Equal(3, request.TransactItems.Count);
        var keyPut = request.TransactItems[0].Put;
        Assert.Equal(Table, keyPut.TableName);
        Assert.Equal(DynamoOrderStore.KeyPrefix + Key, keyPut.Item[FanoutTopology.PartitionKey].S);
        Assert.Equal(OrderId, keyPut.Item["orderId"].S);
        Assert.Equal("hash-1", keyPut.Item["requestHash"].S);
        Assert.Equal(Seconds(Now + (24 * 3600)), keyPut.Item[FanoutTopology.TtlAttribute].N);
        Assert.Equal("attribute_not_exists(#pk) OR #ttl < :now", keyPut.ConditionExpression);
        Assert.Equal(FanoutTopology.TtlAttribute, keyPut.ExpressionAttributeNames["#ttl"]);
        Assert.Equal(FanoutTopology.PartitionKey, keyPut.ExpressionAttributeNames["#pk"]);
        Assert.Equal(Seconds(Now), keyPut.ExpressionAttributeValues[":now"].N);
        var orderPut = request.TransactItems[1].Put;
        Assert.Equal(DynamoOrderStore.OrderPrefix + OrderId, orderPut.Item[FanoutTopology.PartitionKey].S);
        Assert.Equal("attribute_not_exists(#pk)", orderPut.ConditionExpression);
        Assert.Equal(FanoutTopology.PartitionKey, Assert.Single(orderPut.ExpressionAttributeNames).Value);
        Assert.Equal("#pk", orderPut.ExpressionAttributeNames.Keys.Single());
        Assert.Equal(OpenOrders.ShardKey(OpenOrders.ShardOf(OrderId)), orderPut.Item[ReconcilerSpec.OpenShardAttribute].S);
        Assert.Equal("2026-01-01T00:00:00.0000000Z".Length, orderPut.Item[ReconcilerSpec.OpenSinceAttribute].S.Length);
        Assert.Equal(OpenOrders.Since(TestClock.Start), orderPut.Item[ReconcilerSpec.OpenSinceAttribute].S);
        var outboxPut = request.TransactItems[2].Put;
        Assert.Equal(OutboxSpec.KeyPrefix + "evt-" + OrderId, outboxPut.Item[FanoutTopology.PartitionKey].S);
        Assert.Equal("attribute_not_exists(#pk)", outboxPut.ConditionExpression);
        Assert.Equal(Table, outboxPut.TableName);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task CreateAsync_TransactionConflictOnEitherItem_ReturnsInProgressWithoutThrowing(int conflictingItem)
    {
        // Two requests with one key at once: AWS cancels one transaction with TransactionConflict, not ConditionalCheckFailed.
        _dynamo.OnTransactWrite = _ => throw ScriptedDynamoDb.Cancelled(
            ScriptedDynamoDb.Reason(conflictingItem == 0 ? "TransactionConflict" : "None"),
            ScriptedDynamoDb.Reason(conflictingItem == 1 ? "TransactionConflict" : "None"));

        var result = await _store.CreateAsync(Record(OrderId, "hash-1"), Placed(OrderId), Key, Ct);

        Assert.Equal(CreateOrderStatus.InProgress, result.Status);
        Assert.Null(result.Order);
    }

    [Fact]
    public async Task CreateAsync_SdkRetriedATransactionThatHadSucceeded_ReturnsCreatedForThisOrder()
    {
        // The first attempt's response was lost; the SDK's retry meets the items that attempt wrote.
        _dynamo.OnTransactWrite = request =>
        {
            foreach (var write in request.TransactItems)
            {
                _dynamo.Items[ScriptedDynamoDb.PartitionKeyOf(write.Put.Item)] = write.Put.Item;
            }

            throw ScriptedDynamoDb.Cancelled(
                ScriptedDynamoDb.Reason("ConditionalCheckFailed", request.TransactItems[0].Put.Item),
                ScriptedDynamoDb.Reason("ConditionalCheckFailed", request.TransactItems[1].Put.Item));
        };

        var result = await _store.CreateAsync(Record(OrderId, "hash-1"), Placed(OrderId), Key, Ct);

        Assert.Equal(CreateOrderStatus.Created, result.Status);
        Assert.Equal(OrderId, result.Order!.OrderId);
        Assert.Equal("hash-1", result.Order.RequestHash);
    }

    [Fact]
    public async Task CreateAsync_KeyHeldBySameRequestForAnotherOrder_ReturnsThatOrder()
    {
        SeedKey(OtherOrderId, "hash-1", Now + 60);
        SeedOrder(OtherOrderId, "hash-1");
        _dynamo.OnTransactWrite = _ => throw ScriptedDynamoDb.Cancelled(ScriptedDynamoDb.Reason("ConditionalCheckFailed", _dynamo.Items[DynamoOrderStore.KeyPrefix + Key]), ScriptedDynamoDb.Reason("None"));

        var result = await _store.CreateAsync(Record(OrderId, "hash-1"), Placed(OrderId), Key, Ct);

        Assert.Equal(CreateOrderStatus.ExistingForKey, result.Status);
        Assert.Equal(OtherOrderId, result.Order!.OrderId);
    }

    [Fact]
    public async Task CreateAsync_KeyHeldByDifferentRequest_ReturnsKeyConflict()
    {
        SeedKey(OtherOrderId, "hash-other", Now + 60);
        _dynamo.OnTransactWrite = _ => throw ScriptedDynamoDb.Cancelled(ScriptedDynamoDb.Reason("ConditionalCheckFailed"), ScriptedDynamoDb.Reason("None"));

        var result = await _store.CreateAsync(Record(OrderId, "hash-1"), Placed(OrderId), Key, Ct);

        Assert.Equal(CreateOrderStatus.KeyConflict, result.Status);
        Assert.Null(result.Order);
    }

    [Fact]
    public async Task CreateAsync_KeyNotReturnedAndGoneOnRead_ReturnsInProgress()
    {
        _dynamo.OnTransactWrite = _ => throw ScriptedDynamoDb.Cancelled(ScriptedDynamoDb.Reason("ConditionalCheckFailed"), ScriptedDynamoDb.Reason("None"));

        var result = await _store.CreateAsync(Record(OrderId, "hash-1"), Placed(OrderId), Key, Ct);

        Assert.Equal(CreateOrderStatus.InProgress, result.Status);
    }

    [Theory]
    [InlineData(-1, CreateOrderStatus.InProgress)]
    [InlineData(0, CreateOrderStatus.ExistingForKey)]
    public async Task CreateAsync_ConditionFailedOnKeyExpiringAroundNow_ExpiredMeansRetryNotReplay(long expiresIn, CreateOrderStatus expected)
    {
        SeedKey(OtherOrderId, "hash-1", Now + expiresIn);
        SeedOrder(OtherOrderId, "hash-1");
        _dynamo.OnTransactWrite = _ => throw ScriptedDynamoDb.Cancelled(ScriptedDynamoDb.Reason("ConditionalCheckFailed"), ScriptedDynamoDb.Reason("None"));

        var result = await _store.CreateAsync(Record(OrderId, "hash-1"), Placed(OrderId), Key, Ct);

        Assert.Equal(expected, result.Status);
    }

    [Fact]
    public async Task CreateAsync_KeyNamesAMissingOrder_Throws()
    {
        SeedKey(OtherOrderId, "hash-1", Now + 60);
        _dynamo.OnTransactWrite = _ => throw ScriptedDynamoDb.Cancelled(ScriptedDynamoDb.Reason("ConditionalCheckFailed"), ScriptedDynamoDb.Reason("None"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _store.CreateAsync(Record(OrderId, "hash-1"), Placed(OrderId), Key, Ct));

        Assert.Equal("Idempotency key 'key-1' names an order that does not exist.", error.Message);
        Assert.IsType<TransactionCanceledException>(error.InnerException);
    }

    [Fact]
    public async Task CreateAsync_OtherCancellation_IsNotSwallowed()
    {
        _dynamo.OnTransactWrite = _ => throw ScriptedDynamoDb.Cancelled(ScriptedDynamoDb.Reason("None"), ScriptedDynamoDb.Reason("ValidationError"));

        await Assert.ThrowsAsync<TransactionCanceledException>(() => _store.CreateAsync(Record(OrderId, "hash-1"), Placed(OrderId), Key, Ct));
    }

    [Fact]
    public async Task PostOrders_DynamoCancelsWithTransactionConflict_Answers409InProgressWithRetryAfterAndPublishesNothing()
    {
        _dynamo.OnTransactWrite = _ => throw ScriptedDynamoDb.Cancelled(ScriptedDynamoDb.Reason("TransactionConflict"), ScriptedDynamoDb.Reason("None"));
        var publisher = new RecordingEventPublisher();
        var function = new OrderIntakeFunction(new OrderService(_store, publisher, _time), new FanoutLogger("orders", _time, TextWriter.Null), OrderApiTopology.DefaultSmsAllowedCountryCodes);

        var response = await function.HandleAsync(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()).WithIdempotencyKey(Key).Build(), Ct);

        Assert.Equal(409, response.StatusCode);
        Assert.Equal("1", response.Headers["Retry-After"]);
        Assert.Equal("Request in progress", ProblemDocument.From(response).Title);
        Assert.Equal(0, publisher.Attempts);
    }

    [Fact]
    public async Task PostOrders_SdkRetriedATransactionThatHadSucceeded_Answers202AndPublishesOnce()
    {
        _dynamo.OnTransactWrite = request =>
        {
            foreach (var write in request.TransactItems)
            {
                _dynamo.Items[ScriptedDynamoDb.PartitionKeyOf(write.Put.Item)] = write.Put.Item;
            }

            throw ScriptedDynamoDb.Cancelled(ScriptedDynamoDb.Reason("ConditionalCheckFailed"), ScriptedDynamoDb.Reason("ConditionalCheckFailed"));
        };
        var publisher = new RecordingEventPublisher();
        var function = new OrderIntakeFunction(new OrderService(_store, publisher, _time), new FanoutLogger("orders", _time, TextWriter.Null), OrderApiTopology.DefaultSmsAllowedCountryCodes);

        var response = await function.HandleAsync(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()).WithIdempotencyKey(Key).Build(), Ct);

        Assert.Equal(202, response.StatusCode);
        Assert.False(response.Headers.ContainsKey("Idempotent-Replayed"));
        var published = Assert.Single(publisher.Published);
        var delete = Assert.IsType<DeleteItemRequest>(_dynamo.Requests[^1]);
        Assert.Equal(OutboxSpec.KeyPrefix + published.Id, delete.Key[FanoutTopology.PartitionKey].S);
    }

    [Fact]
    public async Task CreateAsync_KeyItemWithoutTtl_IsNeverTreatedAsExpired()
    {
        SeedKey(OtherOrderId, "hash-1", Now - 60);
        _dynamo.Items[DynamoOrderStore.KeyPrefix + Key].Remove(FanoutTopology.TtlAttribute);
        SeedOrder(OtherOrderId, "hash-1");
        _dynamo.OnTransactWrite = _ => throw ScriptedDynamoDb.Cancelled(ScriptedDynamoDb.Reason("ConditionalCheckFailed"), ScriptedDynamoDb.Reason("None"));

        var result = await _store.CreateAsync(Record(OrderId, "hash-1"), Placed(OrderId), Key, Ct);

        Assert.Equal(CreateOrderStatus.ExistingForKey, result.Status);
    }

    [Fact]
    public async Task GetAsync_StoredOrder_ReadsEveryAttributeWithAConsistentRead()
    {
        SeedOrder(OrderId, "hash-1");
        var item = _dynamo.Items[DynamoOrderStore.OrderPrefix + OrderId];
        item["lifecycle"] = new AttributeValue { S = OrderStatuses.Cancelling };
        item["cancelEventJson"] = new AttributeValue { S = "{\"c\":1}" };
        item[ReconcilerSpec.OpenSinceAttribute] = new AttributeValue { S = "2026-01-02T03:04:05.0000000Z" };
        item[TrackedServices.Sms] = new AttributeValue { S = ServiceStatus.Sent };
        item[TrackedServices.Inventory] = new AttributeValue { S = ServiceStatus.Rejected };

        var order = await _store.GetAsync(OrderId, Ct);

        Assert.NotNull(order);
        Assert.Equal(OrderId, order.OrderId);
        Assert.Equal("{}", order.EventJson);
        Assert.Equal("corr-0", order.CorrelationId);
        Assert.Equal("hash-1", order.RequestHash);
        Assert.Equal(TestClock.Start, order.CreatedAt);
        Assert.Equal(OrderStatuses.Cancelling, order.Lifecycle);
        Assert.Equal(OrderStatuses.Cancelling, order.Status);
        Assert.Equal("{\"c\":1}", order.CancelEventJson);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), order.OpenSince);
        Assert.Equal(ServiceStatus.Sent, order.Statuses[TrackedServices.Sms]);
        Assert.Equal(ServiceStatus.Pending, order.Statuses[TrackedServices.Email]);
        Assert.Equal(ServiceStatus.Rejected, order.Statuses[TrackedServices.Inventory]);
        var get = Assert.IsType<GetItemRequest>(Assert.Single(_dynamo.Requests));
        Assert.True(get.ConsistentRead);
        Assert.Equal(Table, get.TableName);
    }

    [Fact]
    public async Task GetAsync_UnknownOrder_ReturnsNull()
    {
        Assert.Null(await _store.GetAsync(OrderId, Ct));
    }

    [Fact]
    public async Task CreateAsync_NewOrder_StoresEveryServicePendingNoLifecycleAndOpenSinceCreatedAt()
    {
        await _store.CreateAsync(Record(OrderId, "hash-1"), Placed(OrderId), Key, Ct);

        var stored = await _store.GetAsync(OrderId, Ct);

        Assert.Null(stored!.Lifecycle);
        Assert.Null(stored.CancelEventJson);
        Assert.Equal(TestClock.Start, stored.OpenSince);
        Assert.Equal(OrderStatuses.Pending, stored.Status);
        Assert.All(TrackedServices.All, s => Assert.Equal(ServiceStatus.Pending, stored.Statuses[s]));
        Assert.Equal(TestClock.Start, stored.CreatedAt);
    }

    [Fact]
    public async Task ApplyOutcomeAsync_FirstOutcome_IsAppliedOncePerEventAndOnlyFromPending()
    {
        var status = await _store.ApplyOutcomeAsync(OrderId, "event-1", TrackedServices.Sms, ServiceStatus.Sent, Ct);

        Assert.Equal(ApplyOutcomeStatus.Applied, status);
        var update = Assert.IsType<UpdateItemRequest>(Assert.Single(_dynamo.Requests));
        Assert.Equal(DynamoOrderStore.OrderPrefix + OrderId, update.Key[FanoutTopology.PartitionKey].S);
        Assert.Equal("SET #svc = :status, updatedAt = :now ADD appliedEvents :events", update.UpdateExpression);
        Assert.Equal("attribute_exists(#pk) AND NOT contains(appliedEvents, :eventId) AND (#svc = :pending OR #svc = :status)", update.ConditionExpression);
        Assert.Equal(TrackedServices.Sms, update.ExpressionAttributeNames["#svc"]);
        Assert.Equal(FanoutTopology.PartitionKey, update.ExpressionAttributeNames["#pk"]);
        Assert.Equal(2, update.ExpressionAttributeNames.Count);
        Assert.Equal(ServiceStatus.Sent, update.ExpressionAttributeValues[":status"].S);
        Assert.Equal(ServiceStatus.Pending, update.ExpressionAttributeValues[":pending"].S);
        Assert.Equal(["event-1"], update.ExpressionAttributeValues[":events"].SS);
        Assert.Equal("event-1", update.ExpressionAttributeValues[":eventId"].S);
        Assert.Equal(TestClock.Start.ToString("O", CultureInfo.InvariantCulture), update.ExpressionAttributeValues[":now"].S);
    }

    [Theory]
    [InlineData(true, "event-1", ServiceStatus.Sent, ApplyOutcomeStatus.Duplicate)]
    [InlineData(true, "event-0", ServiceStatus.Sent, ApplyOutcomeStatus.Duplicate)]
    [InlineData(true, "event-1", ServiceStatus.Skipped, ApplyOutcomeStatus.Duplicate)]
    [InlineData(true, "event-0", ServiceStatus.Skipped, ApplyOutcomeStatus.Conflict)]
    [InlineData(true, "event-0", ServiceStatus.Pending, ApplyOutcomeStatus.Duplicate)]
    [InlineData(false, "event-1", ServiceStatus.Sent, ApplyOutcomeStatus.Duplicate)]
    [InlineData(false, "event-0", ServiceStatus.Skipped, ApplyOutcomeStatus.Conflict)]
    public async Task ApplyOutcomeAsync_ConditionFailed_TellsDuplicateFromConflict(bool itemReturned, string appliedEvent, string current, ApplyOutcomeStatus expected)
    {
        SeedOrder(OrderId, "hash-1");
        var item = _dynamo.Items[DynamoOrderStore.OrderPrefix + OrderId];
        item["appliedEvents"] = new AttributeValue { SS = [appliedEvent] };
        item[TrackedServices.Sms] = new AttributeValue { S = current };
        _dynamo.OnUpdateItem = _ => throw new ConditionalCheckFailedException("The conditional request failed") { Item = itemReturned ? item : null };

        var status = await _store.ApplyOutcomeAsync(OrderId, "event-1", TrackedServices.Sms, ServiceStatus.Sent, Ct);

        Assert.Equal(expected, status);
    }

    [Fact]
    public async Task ApplyOutcomeAsync_OrderMissing_SaysSo()
    {
        _dynamo.OnUpdateItem = _ => throw new ConditionalCheckFailedException("The conditional request failed");

        Assert.Equal(ApplyOutcomeStatus.OrderMissing, await _store.ApplyOutcomeAsync(OrderId, "event-1", TrackedServices.Sms, ServiceStatus.Sent, Ct));
    }

    [Fact]
    public async Task CreateAsync_NullOrder_ThrowsArgumentNullExceptionAndWritesNothing()
    {
        var error = await Assert.ThrowsAsync<ArgumentNullException>(() => _store.CreateAsync(null!, Placed(OrderId), Key, Ct));

        Assert.Equal("order", error.ParamName);
        Assert.Empty(_dynamo.Requests);
    }

    [Fact]
    public void Constructor_MissingArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => new DynamoOrderStore(null!, Table, _time));
        Assert.Throws<ArgumentException>(() => new DynamoOrderStore(_dynamo, " ", _time));
        Assert.Throws<ArgumentNullException>(() => new DynamoOrderStore(_dynamo, Table, null!));
        Assert.Throws<ArgumentNullException>(() => new DynamoOpenOrders(null!, Table));
        Assert.Throws<ArgumentException>(() => new DynamoOpenOrders(_dynamo, " "));
    }

    [Fact]
    public void Outbox_BuiltWithOrWithoutIt_IsTheGivenOneOrThrows()
    {
        var outbox = new DynamoOutbox(_dynamo, Table);

        Assert.Same(outbox, new DynamoOrderStore(_dynamo, Table, _time, outbox).Outbox);
        var error = Assert.Throws<InvalidOperationException>(() => new DynamoOrderStore(_dynamo, Table, _time).Outbox);
        Assert.Equal("This order store was built without its outbox.", error.Message);
    }

    [Fact]
    public async Task RequestCancelAsync_WritesLifecycleEnvelopeAndMarkersWithTheOutboxEntryInOneConditionalTransaction()
    {
        var seen = Record(OrderId, "hash-1") with { Statuses = new Dictionary<string, string> { ["sms"] = "SENT", ["email"] = "PENDING", ["inventory"] = "RESERVED" } };
        var cancelled = new OutboxEntry(new OutgoingEvent("evt-c", "OrderCancelled", "corr-2", "{\"x\":1}"), OrderId, TestClock.Start.AddMinutes(5));

        Assert.True(await _store.RequestCancelAsync(seen, cancelled, TestClock.Start.AddMinutes(5), Ct));

        var request = Assert.IsType<TransactWriteItemsRequest>(Assert.Single(_dynamo.Requests));
        Assert.Equal(2, request.TransactItems.Count);
        var update = request.TransactItems[0].Update;
        Assert.Equal(DynamoOrderStore.OrderPrefix + OrderId, update.Key[FanoutTopology.PartitionKey].S);
        Assert.Equal("SET lifecycle = :cancelling, cancelEventJson = :event, #shard = :shard, #since = :since, updatedAt = :now", update.UpdateExpression);
        // Not the statuses as read (consumers change them while the order is young), only what forbids a cancel.
        Assert.Equal("attribute_exists(#pk) AND attribute_not_exists(lifecycle) AND (#inv <> :rejected OR #sms = :pending OR #email = :pending)", update.ConditionExpression);
        Assert.Equal(("inventory", "sms", "email"), (update.ExpressionAttributeNames["#inv"], update.ExpressionAttributeNames["#sms"], update.ExpressionAttributeNames["#email"]));
        Assert.Equal(("REJECTED", "PENDING"), (update.ExpressionAttributeValues[":rejected"].S, update.ExpressionAttributeValues[":pending"].S));
        Assert.DoesNotContain(update.ExpressionAttributeValues.Values, v => v.S == "RESERVED" || v.S == "SENT");
        Assert.Equal("CANCELLING", update.ExpressionAttributeValues[":cancelling"].S);
        Assert.Equal("{\"x\":1}", update.ExpressionAttributeValues[":event"].S);
        Assert.Equal(OpenOrders.ShardKey(OpenOrders.ShardOf(OrderId)), update.ExpressionAttributeValues[":shard"].S);
        Assert.Equal(OpenOrders.Since(TestClock.Start.AddMinutes(5)), update.ExpressionAttributeValues[":since"].S);
        Assert.Equal(ReconcilerSpec.OpenShardAttribute, update.ExpressionAttributeNames["#shard"]);
        Assert.Equal(ReconcilerSpec.OpenSinceAttribute, update.ExpressionAttributeNames["#since"]);
        var put = request.TransactItems[1].Put;
        Assert.Equal(OutboxSpec.KeyPrefix + "evt-c", put.Item[FanoutTopology.PartitionKey].S);
        Assert.Equal("attribute_not_exists(#pk)", put.ConditionExpression);
    }

    [Theory]
    [InlineData("ConditionalCheckFailed", "None")]
    [InlineData("None", "ConditionalCheckFailed")]
    [InlineData("TransactionConflict", "None")]
    public async Task RequestCancelAsync_ConditionFailedOrConflict_ReturnsFalse(string first, string second)
    {
        _dynamo.OnTransactWrite = _ => throw ScriptedDynamoDb.Cancelled(ScriptedDynamoDb.Reason(first), ScriptedDynamoDb.Reason(second));
        var cancelled = new OutboxEntry(new OutgoingEvent("evt-c", "OrderCancelled", "corr-2", "{}"), OrderId, TestClock.Start);

        Assert.False(await _store.RequestCancelAsync(Record(OrderId, "hash-1"), cancelled, TestClock.Start, Ct));
    }

    [Fact]
    public async Task RequestCancelAsync_OtherCancellation_IsNotSwallowed()
    {
        _dynamo.OnTransactWrite = _ => throw ScriptedDynamoDb.Cancelled(ScriptedDynamoDb.Reason("ValidationError"), ScriptedDynamoDb.Reason("None"));
        var cancelled = new OutboxEntry(new OutgoingEvent("evt-c", "OrderCancelled", "corr-2", "{}"), OrderId, TestClock.Start);

        await Assert.ThrowsAsync<TransactionCanceledException>(() => _store.RequestCancelAsync(Record(OrderId, "hash-1"), cancelled, TestClock.Start, Ct));
    }

    [Fact]
    public async Task ApplyOutcomeAsync_Released_MayReplaceAnyInventoryStatusOncePerEvent()
    {
        await _store.ApplyOutcomeAsync(OrderId, "event-1", TrackedServices.Inventory, ServiceStatus.Released, Ct);

        var update = Assert.IsType<UpdateItemRequest>(Assert.Single(_dynamo.Requests));
        Assert.Equal("attribute_exists(#pk) AND NOT contains(appliedEvents, :eventId)", update.ConditionExpression);
        Assert.Equal([":eventId", ":events", ":now", ":status"], update.ExpressionAttributeValues.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(Amazon.DynamoDBv2.ReturnValue.ALL_NEW, update.ReturnValues);
    }

    [Fact]
    public async Task ApplyOutcomeAsync_ReleasedWhileCancelling_SettlesToCancelledAndRemovesTheMarkers()
    {
        _dynamo.UpdateResult = r => r.UpdateExpression.StartsWith("SET #svc", StringComparison.Ordinal) ? OrderItem(lifecycle: "CANCELLING", inventory: "RELEASED", open: true) : null;

        Assert.Equal(ApplyOutcomeStatus.Applied, await _store.ApplyOutcomeAsync(OrderId, "event-1", TrackedServices.Inventory, ServiceStatus.Released, Ct));

        var settle = Assert.IsType<UpdateItemRequest>(_dynamo.Requests[1]);
        Assert.Equal(2, _dynamo.Requests.Count);
        Assert.Equal("SET lifecycle = :cancelled REMOVE #shard, #since", settle.UpdateExpression);
        Assert.Equal("lifecycle = :cancelling AND #inv = :released", settle.ConditionExpression);
        Assert.Equal("CANCELLED", settle.ExpressionAttributeValues[":cancelled"].S);
        Assert.Equal("CANCELLING", settle.ExpressionAttributeValues[":cancelling"].S);
        Assert.Equal("RELEASED", settle.ExpressionAttributeValues[":released"].S);
        Assert.Equal(3, settle.ExpressionAttributeNames.Count);
        Assert.Equal(3, settle.ExpressionAttributeValues.Count);
    }

    [Fact]
    public async Task ApplyOutcomeAsync_LastOutcomeOfAnOpenOrder_RemovesTheMarkersOnCondition()
    {
        _dynamo.UpdateResult = r => r.UpdateExpression.StartsWith("SET #svc", StringComparison.Ordinal) ? OrderItem(lifecycle: null, inventory: "REJECTED", open: true) : null;

        await _store.ApplyOutcomeAsync(OrderId, "event-1", TrackedServices.Inventory, ServiceStatus.Rejected, Ct);

        var settle = Assert.IsType<UpdateItemRequest>(_dynamo.Requests[1]);
        Assert.Equal("REMOVE #shard, #since", settle.UpdateExpression);
        Assert.Equal("attribute_not_exists(lifecycle) AND attribute_exists(#shard) AND #inv <> :pending AND #sms <> :pending AND #email <> :pending", settle.ConditionExpression);
        Assert.Equal(["PENDING"], settle.ExpressionAttributeValues.Values.Select(v => v.S));
    }

    [Theory]
    [InlineData(null, "RESERVED", false)]
    [InlineData("CANCELLING", "RESERVED", true)]
    [InlineData(null, "PENDING", true)]
    public async Task ApplyOutcomeAsync_OrderNotSettledOrAlreadyUnmarked_WritesNothingMore(string? lifecycle, string inventory, bool open)
    {
        _dynamo.UpdateResult = r => OrderItem(lifecycle, inventory, open);

        await _store.ApplyOutcomeAsync(OrderId, "event-1", TrackedServices.Inventory, inventory, Ct);

        Assert.Single(_dynamo.Requests);
    }

    [Fact]
    public async Task ApplyOutcomeAsync_SettleLosesTheRace_IsSwallowed()
    {
        _dynamo.UpdateResult = r => OrderItem("CANCELLING", "RELEASED", true);
        _dynamo.OnUpdateItem = r =>
        {
            if (!r.UpdateExpression.StartsWith("SET #svc", StringComparison.Ordinal))
            {
                throw new ConditionalCheckFailedException("The conditional request failed");
            }
        };

        Assert.Equal(ApplyOutcomeStatus.Applied, await _store.ApplyOutcomeAsync(OrderId, "event-1", TrackedServices.Inventory, ServiceStatus.Released, Ct));
    }

    [Theory]
    [InlineData(ServiceStatus.Reserved)]
    [InlineData(ServiceStatus.Rejected)]
    public async Task ApplyOutcomeAsync_LateInventoryOutcomeAfterReleased_IsADuplicateAndStillSettles(string late)
    {
        var item = OrderItem("CANCELLING", "RELEASED", true);
        _dynamo.OnUpdateItem = r =>
        {
            if (r.UpdateExpression.StartsWith("SET #svc", StringComparison.Ordinal))
            {
                throw new ConditionalCheckFailedException("The conditional request failed") { Item = item };
            }
        };

        Assert.Equal(ApplyOutcomeStatus.Duplicate, await _store.ApplyOutcomeAsync(OrderId, "event-2", TrackedServices.Inventory, late, Ct));
        Assert.Equal("SET lifecycle = :cancelled REMOVE #shard, #since", Assert.IsType<UpdateItemRequest>(_dynamo.Requests[^1]).UpdateExpression);
    }

    [Fact]
    public async Task QueryOpenAsync_ReadsTheShardOlderThanTheCutOffPageByPageAndRereadsEachOrder()
    {
        var placedJson = CloudEventBuilder.OrderPlaced().Build();
        var cancelJson = CloudEventBuilder.OrderPlaced().With("id", CancelId).With("type", "OrderCancelled").Build();
        _dynamo.Items[DynamoOrderStore.OrderPrefix + OrderId] = OrderItem(null, "PENDING", true, placedJson);
        var cancelling = OrderItem("CANCELLING", "RESERVED", true, placedJson, OtherOrderId);
        cancelling["cancelEventJson"] = new AttributeValue { S = cancelJson };
        _dynamo.Items[DynamoOrderStore.OrderPrefix + OtherOrderId] = cancelling;
        _dynamo.OnQuery = q => q.ExclusiveStartKey is null
            ? new QueryResponse { Items = [new() { ["orderId"] = new() { S = OrderId } }], LastEvaluatedKey = new() { ["pk"] = new() { S = "next" } } }
            : new QueryResponse { Items = [new() { ["orderId"] = new() { S = OtherOrderId } }, new() { ["orderId"] = new() { S = "0195a1b2-c3d4-7e5f-8a9b-0000000000dd" } }] };

        var open = await new DynamoOpenOrders(_dynamo, Table).QueryOpenAsync(2, TestClock.Start.AddMinutes(-15), Ct);

        var query = Assert.IsType<QueryRequest>(_dynamo.Requests[0]);
        Assert.Equal(ReconcilerSpec.OpenOrdersIndex, query.IndexName);
        Assert.Equal("#shard = :shard AND #since < :before", query.KeyConditionExpression);
        Assert.Equal("OPEN#2", query.ExpressionAttributeValues[":shard"].S);
        Assert.Equal(OpenOrders.Since(TestClock.Start.AddMinutes(-15)), query.ExpressionAttributeValues[":before"].S);
        Assert.Equal(2, open.Count);
        Assert.Equal((OrderId, "PENDING", TestClock.Start), (open[0].OrderId, open[0].Status, open[0].OpenSince));
        Assert.Equal(placedJson, open[0].PendingEvent.Json);
        Assert.Equal("OrderPlaced", open[0].PendingEvent.Type);
        Assert.Equal((OtherOrderId, "CANCELLING"), (open[1].OrderId, open[1].Status));
        Assert.Equal(cancelJson, open[1].PendingEvent.Json);
        Assert.Equal(CancelId, open[1].PendingEvent.Id);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(4)]
    public async Task QueryOpenAsync_ShardOutOfRange_Throws(int shard)
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => new DynamoOpenOrders(_dynamo, Table).QueryOpenAsync(shard, TestClock.Start, Ct));
    }

    [Fact]
    public void ToOpenOrder_SettledOrUnmarkedOrder_IsNull()
    {
        var pending = Record(OrderId, "h");
        Assert.Null(DynamoOrderStore.ToOpenOrder(pending));
        Assert.Null(DynamoOrderStore.ToOpenOrder(pending with { OpenSince = TestClock.Start, Statuses = new Dictionary<string, string> { ["sms"] = "SENT", ["email"] = "SENT", ["inventory"] = "RESERVED" } }));
        Assert.Null(DynamoOrderStore.ToOpenOrder(pending with { OpenSince = TestClock.Start, Lifecycle = "CANCELLED" }));
    }

    [Theory]
    [InlineData("0195a1b2-c3d4-7e5f-8a9b-00000000000a", 0)]
    [InlineData("a", 0)]
    [InlineData("b", 1)]
    [InlineData("c", 2)]
    [InlineData("d", 3)]
    [InlineData("", 1)]
    public void ShardOf_IsFnv1aOfTheUtf8BytesModFour(string orderId, int expected)
    {
        // FNV-1a 32-bit, computed independently: "" = 0x811C9DC5, "a" = 0xE40C292C, "b" = 0xE70C2DE5, "c" = 0xE60C2C52, "d" = 0xE10C2473.
        Assert.Equal(expected, OpenOrders.ShardOf(orderId));
    }

    [Fact]
    public void Since_IsFixedWidthUtcText_SoTextOrderIsTimeOrder()
    {
        Assert.Equal("2026-01-02T03:04:05.1234567Z", OpenOrders.Since(new DateTimeOffset(2026, 1, 2, 5, 4, 5, TimeSpan.FromHours(2)).AddTicks(1234567)));
        Assert.Equal("OPEN#3", OpenOrders.ShardKey(3));
    }

    private static readonly string CancelId = Fanout.Contracts.Events.EventIds.For(OtherOrderId, "orders", "CANCELLED");

    private static Dictionary<string, AttributeValue> OrderItem(string? lifecycle, string inventory, bool open, string eventJson = "{}", string orderId = OrderId)
    {
        var item = new Dictionary<string, AttributeValue>
        {
            [FanoutTopology.PartitionKey] = new() { S = DynamoOrderStore.OrderPrefix + orderId },
            ["orderId"] = new() { S = orderId },
            ["eventJson"] = new() { S = eventJson },
            ["correlationId"] = new() { S = "corr-0" },
            ["requestHash"] = new() { S = "h" },
            ["createdAt"] = new() { S = TestClock.Start.ToString("O", CultureInfo.InvariantCulture) },
            ["sms"] = new() { S = "SENT" },
            ["email"] = new() { S = "SENT" },
            ["inventory"] = new() { S = inventory },
        };
        if (lifecycle is not null)
        {
            item["lifecycle"] = new() { S = lifecycle };
        }

        if (open)
        {
            item[ReconcilerSpec.OpenShardAttribute] = new() { S = "OPEN#0" };
            item[ReconcilerSpec.OpenSinceAttribute] = new() { S = OpenOrders.Since(TestClock.Start) };
        }

        return item;
    }

    private static string Seconds(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static OrderRecord Record(string orderId, string hash) =>
        new(orderId, "{}", "corr-1", hash, TestClock.Start, TrackedServices.All.ToDictionary(s => s, _ => ServiceStatus.Pending));

    private static OutboxEntry Placed(string orderId) =>
        new(new OutgoingEvent("evt-" + orderId, "OrderPlaced", "corr-1", "{}"), orderId, TestClock.Start);

    private void SeedKey(string orderId, string hash, long expiresAt) =>
        _dynamo.Items[DynamoOrderStore.KeyPrefix + Key] = new Dictionary<string, AttributeValue>
        {
            [FanoutTopology.PartitionKey] = new() { S = DynamoOrderStore.KeyPrefix + Key },
            ["orderId"] = new() { S = orderId },
            ["requestHash"] = new() { S = hash },
            [FanoutTopology.TtlAttribute] = new() { N = Seconds(expiresAt) },
        };

    private void SeedOrder(string orderId, string hash) =>
        _dynamo.Items[DynamoOrderStore.OrderPrefix + orderId] = new Dictionary<string, AttributeValue>
        {
            [FanoutTopology.PartitionKey] = new() { S = DynamoOrderStore.OrderPrefix + orderId },
            ["orderId"] = new() { S = orderId },
            ["eventJson"] = new() { S = "{}" },
            ["correlationId"] = new() { S = "corr-0" },
            ["requestHash"] = new() { S = hash },
            ["createdAt"] = new() { S = TestClock.Start.ToString("O", CultureInfo.InvariantCulture) },
        };
}

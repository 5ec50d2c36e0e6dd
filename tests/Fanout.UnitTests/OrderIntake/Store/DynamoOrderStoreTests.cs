using System.Globalization;
using Amazon.DynamoDBv2.Model;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Logging;
using Fanout.OrderIntake;
using Fanout.OrderIntake.Core;
using Fanout.Orders;
using Fanout.Functions.Common.Publishing;
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
        _store = new DynamoOrderStore(_dynamo, Table, _time);
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

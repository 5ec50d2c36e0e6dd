using System.Globalization;
using Amazon.DynamoDBv2;
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
    private static readonly long Today = OrderIds.DayOf(TestClock.Start);

    /// <summary>The id <see cref="Key"/> names on the test clock's day.</summary>
    private static readonly string Derived = OrderIds.ForKey(Key, Today);
    private readonly FakeTimeProvider _time = TestClock.Create();
    private readonly ScriptedDynamoDb _dynamo = new();
    private readonly DynamoOrderStore _store;

    public DynamoOrderStoreTests()
    {
        _store = new DynamoOrderStore(_dynamo, Table, _time, new DynamoOutbox(_dynamo, Table));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _dynamo.Dispose();

    [Fact]
    public async Task CreateAsync_NewKey_ReadsYesterdaysIdThenPutsOneCompactOrderItemConditionally()
    {
        var result = await _store.CreateAsync(Record(Derived, "hash-1"), Key, Ct);

        Assert.Equal(CreateOrderStatus.Created, result.Status);
        Assert.Equal(Derived, result.Order!.OrderId);
        Assert.Equal(2, _dynamo.Requests.Count);
        var get = Assert.IsType<GetItemRequest>(_dynamo.Requests[0]);
        Assert.True(get.ConsistentRead);
        Assert.Equal(DynamoOrderStore.OrderPrefix + OrderIds.ForKey(Key, Today - 1), get.Key[FanoutTopology.PartitionKey].S);
        var orderPut = Assert.IsType<PutItemRequest>(_dynamo.Requests[1]);
        Assert.Equal(Table, orderPut.TableName);
        Assert.Equal(DynamoOrderStore.OrderPrefix + Derived, orderPut.Item[FanoutTopology.PartitionKey].S);
        Assert.Equal("attribute_not_exists(#pk)", orderPut.ConditionExpression);
        Assert.Equal("#pk", Assert.Single(orderPut.ExpressionAttributeNames).Key);
        Assert.Equal(ReturnValuesOnConditionCheckFailure.ALL_OLD, orderPut.ReturnValuesOnConditionCheckFailure);
        Assert.Equal("hash-1", orderPut.Item["requestHash"].S);
        Assert.Equal(OrderIds.KeyDigest(Key), orderPut.Item["keyDigest"].S);
        Assert.Equal(22, orderPut.Item["writeToken"].S.Length);
        Assert.False(orderPut.Item.ContainsKey(FanoutTopology.TtlAttribute));
        Assert.Equal(OpenOrders.ShardKey(OpenOrders.ShardOf(Derived)), orderPut.Item[ReconcilerSpec.OpenShardAttribute].S);
        Assert.Equal(OpenOrders.Since(TestClock.Start), orderPut.Item[ReconcilerSpec.OpenSinceAttribute].S);
        // The data, not the envelope: the envelope is rebuilt from it.
        Assert.False(orderPut.Item.ContainsKey("eventJson"));
        Assert.Equal(OrderPlacedEvents.DataJson(OrderPlacedEvents.DataOf(Envelope(Derived))), orderPut.Item["data"].S);
        Assert.Empty(orderPut.Item["appliedAt"].M);
    }

    [Fact]
    public async Task CreateAsync_SdkRetriedTheOrderPutThatHadSucceeded_ReturnsCreatedForThisOrder()
    {
        // The first attempt's response was lost; the SDK's retry meets the item that attempt wrote (same writeToken).
        _dynamo.OnPutItem = request =>
        {
            _dynamo.Items[ScriptedDynamoDb.PartitionKeyOf(request.Item)] = request.Item;
            throw new ConditionalCheckFailedException("The conditional request failed") { Item = request.Item };
        };

        var result = await _store.CreateAsync(Record(Derived, "hash-1"), Key, Ct);

        Assert.Equal(CreateOrderStatus.Created, result.Status);
        Assert.Equal(Derived, result.Order!.OrderId);
        Assert.Equal("hash-1", result.Order.RequestHash);
    }

    [Theory]
    [InlineData("hash-1", CreateOrderStatus.ExistingForKey)]
    [InlineData("hash-other", CreateOrderStatus.KeyConflict)]
    public async Task CreateAsync_KeyNamedAnOrderEarlierToday_ReplaysTheSameRequestAndRefusesAnother(string storedHash, CreateOrderStatus expected)
    {
        SeedOrder(Derived, storedHash);
        _dynamo.OnPutItem = request => throw new ConditionalCheckFailedException("The conditional request failed") { Item = _dynamo.Items[ScriptedDynamoDb.PartitionKeyOf(request.Item)] };

        var result = await _store.CreateAsync(Record(Derived, "hash-1"), Key, Ct);

        Assert.Equal(expected, result.Status);
        Assert.Equal(expected == CreateOrderStatus.ExistingForKey ? Derived : null, result.Order?.OrderId);
    }

    [Theory]
    [InlineData(0, "hash-1", CreateOrderStatus.ExistingForKey)]
    [InlineData(0, "hash-other", CreateOrderStatus.KeyConflict)]
    [InlineData(1, "hash-1", CreateOrderStatus.Created)]
    [InlineData(1, "hash-other", CreateOrderStatus.Created)]
    public async Task CreateAsync_YesterdaysOrderForTheKey_OwnsItFor24HoursThenANewOrderIsPut(long ticksPast24Hours, string storedHash, CreateOrderStatus expected)
    {
        var yesterdays = OrderIds.ForKey(Key, Today - 1);
        SeedOrder(yesterdays, storedHash, TestClock.Start - DynamoOrderStore.KeyRetention + TimeSpan.FromTicks(-ticksPast24Hours));

        var result = await _store.CreateAsync(Record(Derived, "hash-1"), Key, Ct);

        Assert.Equal(expected, result.Status);
        Assert.Equal(expected == CreateOrderStatus.Created ? 1 : 0, _dynamo.Requests.Count(r => r is PutItemRequest));
        Assert.Equal(expected switch { CreateOrderStatus.Created => Derived, CreateOrderStatus.ExistingForKey => yesterdays, _ => null }, result.Order?.OrderId);
    }

    [Fact]
    public async Task CreateAsync_ConditionFailedAndTheOrderNotReadable_ReturnsInProgress()
    {
        _dynamo.OnPutItem = _ => throw new ConditionalCheckFailedException("The conditional request failed");

        var result = await _store.CreateAsync(Record(Derived, "hash-1"), Key, Ct);

        Assert.Equal(CreateOrderStatus.InProgress, result.Status);
    }

    [Fact]
    public async Task CreateAsync_DerivedIdHeldByAnOrderAnotherKeyNamed_ThrowsRatherThanAnswerIt()
    {
        SeedOrder(Derived, "hash-1");
        _dynamo.Items[DynamoOrderStore.OrderPrefix + Derived]["keyDigest"] = new AttributeValue { S = OrderIds.KeyDigest("another-key") };
        _dynamo.OnPutItem = request => throw new ConditionalCheckFailedException("The conditional request failed") { Item = _dynamo.Items[ScriptedDynamoDb.PartitionKeyOf(request.Item)] };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _store.CreateAsync(Record(Derived, "hash-1"), Key, Ct));

        Assert.Contains("another key named it", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateAsync_OrderIdNotTheOneTheKeyNames_ThrowsAndTouchesNothing()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => _store.CreateAsync(Record(OrderId, "hash-1"), Key, Ct));

        Assert.Equal("order", error.ParamName);
        Assert.Empty(_dynamo.Requests);
    }

    [Fact]
    public async Task CreateAsync_OtherFailure_IsNotSwallowed()
    {
        _dynamo.OnPutItem = _ => throw new AmazonDynamoDBException("Validation error");

        await Assert.ThrowsAsync<AmazonDynamoDBException>(() => _store.CreateAsync(Record(Derived, "hash-1"), Key, Ct));
    }

    [Fact]
    public async Task PostOrders_ConditionFailedAndTheOrderNotReadable_Answers409InProgressWithRetryAfterAndPublishesNothing()
    {
        _dynamo.OnPutItem = _ => throw new ConditionalCheckFailedException("The conditional request failed");
        var publisher = new RecordingEventPublisher();
        var function = new OrderIntakeFunction(new OrderService(_store, publisher, _time), new FanoutLogger("orders", _time, TextWriter.Null), OrderApiTopology.DefaultSmsAllowedCountryCodes);

        var response = await function.HandleAsync(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()).WithIdempotencyKey(Key).Build(), Ct);

        Assert.Equal(409, response.StatusCode);
        Assert.Equal("1", response.Headers["Retry-After"]);
        Assert.Equal("Request in progress", ProblemDocument.From(response).Title);
        Assert.Equal(0, publisher.Attempts);
    }

    [Fact]
    public async Task PostOrders_SdkRetriedAnOrderPutThatHadSucceeded_Answers202PublishesOnceAndDeletesNothing()
    {
        _dynamo.OnPutItem = request =>
        {
            // Stored, but the answer the SDK saw is the retry's conditional failure (and no old item came back).
            _dynamo.Items[ScriptedDynamoDb.PartitionKeyOf(request.Item)] = request.Item;
            throw new ConditionalCheckFailedException("The conditional request failed");
        };
        var publisher = new RecordingEventPublisher();
        var function = new OrderIntakeFunction(new OrderService(_store, publisher, _time), new FanoutLogger("orders", _time, TextWriter.Null), OrderApiTopology.DefaultSmsAllowedCountryCodes);

        var response = await function.HandleAsync(HttpApiRequestBuilder.PostOrder(OrderRequestBuilder.ValidOrder().Build()).WithIdempotencyKey(Key).Build(), Ct);

        Assert.Equal(202, response.StatusCode);
        Assert.False(response.Headers.ContainsKey("Idempotent-Replayed"));
        var published = Assert.Single(publisher.Published);
        Assert.Equal("OrderPlaced", published.Type);
        Assert.Single(_dynamo.Requests, r => r is PutItemRequest);
        // The order item is the outbox entry: nothing to delete after the publish.
        Assert.DoesNotContain(_dynamo.Requests, r => r is DeleteItemRequest or TransactWriteItemsRequest);
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
        item["appliedAt"] = new AttributeValue { M = new() { ["sms"] = new() { S = TestClock.Start.AddSeconds(1.5).ToString("O", CultureInfo.InvariantCulture) } } };
        item["appliedEvents"] = new AttributeValue { SS = ["e-1", "e-2"] };
        item["completedAt"] = new AttributeValue { S = TestClock.Start.AddSeconds(2).ToString("O", CultureInfo.InvariantCulture) };

        var order = await _store.GetAsync(OrderId, Ct);

        Assert.NotNull(order);
        Assert.Equal(OrderId, order.OrderId);
        Assert.Equal(Envelope(OrderId, "corr-0"), order.EventJson);
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
        Assert.Equal(TestClock.Start.AddSeconds(1.5), Assert.Single(order.AppliedAt, a => a.Key == "sms").Value);
        Assert.Equal(TestClock.Start.AddSeconds(2), order.CompletedAt);
        Assert.Equal(["e-1", "e-2"], order.AppliedEvents.Order(StringComparer.Ordinal));
        Assert.False(order.OwesPlaced);
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
        await _store.CreateAsync(Record(Derived, "hash-1"), Key, Ct);

        var stored = await _store.GetAsync(Derived, Ct);

        Assert.Null(stored!.Lifecycle);
        Assert.Null(stored.CancelEventJson);
        Assert.Equal(TestClock.Start, stored.OpenSince);
        Assert.Equal(OrderStatuses.Pending, stored.Status);
        Assert.All(TrackedServices.All, s => Assert.Equal(ServiceStatus.Pending, stored.Statuses[s]));
        Assert.Equal(TestClock.Start, stored.CreatedAt);
        Assert.Empty(stored.AppliedAt);
        Assert.Null(stored.CompletedAt);
        Assert.True(stored.OwesPlaced);
        // The rebuilt envelope is byte for byte the one the intake built and published.
        Assert.Equal(Envelope(Derived), stored.EventJson);
    }

    [Fact]
    public async Task ApplyOutcomeAsync_FirstOutcome_ReadsThenWritesOneUpdateConditionedOnItsOwnServiceOnly()
    {
        _dynamo.Items[DynamoOrderStore.OrderPrefix + OrderId] = OrderItem(null, "PENDING", true, sms: "PENDING", email: "PENDING");
        _time.Advance(TimeSpan.FromMilliseconds(1500));

        var result = await _store.ApplyOutcomeAsync(OrderId, "event-1", TrackedServices.Sms, ServiceStatus.Sent, Ct);

        Assert.Equal(new ApplyOutcomeResult(ApplyOutcomeStatus.Applied, TestClock.Start, TestClock.Start.AddMilliseconds(1500)), result);
        Assert.True(Assert.IsType<GetItemRequest>(_dynamo.Requests[0]).ConsistentRead);
        var update = Assert.IsType<UpdateItemRequest>(_dynamo.Requests[1]);
        Assert.Equal(2, _dynamo.Requests.Count);
        Assert.Equal(DynamoOrderStore.OrderPrefix + OrderId, update.Key[FanoutTopology.PartitionKey].S);
        Assert.Equal("SET #svc = :status, appliedAt.#svc = :now ADD appliedEvents :events", update.UpdateExpression);
        // Other services' outcomes written meanwhile cannot fail it: it pins nothing but its own service.
        Assert.Equal("attribute_exists(#pk) AND NOT contains(appliedEvents, :eventId) AND #svc = :was", update.ConditionExpression);
        Assert.Equal("sms", update.ExpressionAttributeNames["#svc"]);
        Assert.Equal(("SENT", "PENDING"), (update.ExpressionAttributeValues[":status"].S, update.ExpressionAttributeValues[":was"].S));
        Assert.Equal(["event-1"], update.ExpressionAttributeValues[":events"].SS);
        Assert.Equal("event-1", update.ExpressionAttributeValues[":eventId"].S);
        Assert.Equal(TestClock.Start.AddMilliseconds(1500).ToString("O", CultureInfo.InvariantCulture), update.ExpressionAttributeValues[":now"].S);
        Assert.Equal(ReturnValue.ALL_NEW, update.ReturnValues);
        Assert.Equal(ReturnValuesOnConditionCheckFailure.ALL_OLD, update.ReturnValuesOnConditionCheckFailure);
    }

    [Fact]
    public async Task ApplyOutcomeAsync_OthersLandedBetweenReadAndWrite_TheWrittenItemShowsItLastSoOneSettleUpdateFollows()
    {
        _dynamo.Items[DynamoOrderStore.OrderPrefix + OrderId] = OrderItem(null, "PENDING", true, email: "PENDING");
        _dynamo.UpdateResult = _ => OrderItem(null, "RESERVED", true);
        _time.Advance(TimeSpan.FromMilliseconds(20));

        Assert.Equal(ApplyOutcomeStatus.Applied, (await _store.ApplyOutcomeAsync(OrderId, "event-1", TrackedServices.Inventory, ServiceStatus.Reserved, Ct)).Status);

        var updates = _dynamo.Requests.OfType<UpdateItemRequest>().ToList();
        Assert.Equal(2, updates.Count);
        Assert.Equal("#svc = :was", updates[0].ConditionExpression.Split(" AND ")[^1]);
        Assert.Equal("SET completedAt = :now REMOVE #shard, #since", updates[1].UpdateExpression);
        Assert.Equal("attribute_exists(#pk) AND attribute_not_exists(completedAt) AND attribute_not_exists(lifecycle)", updates[1].ConditionExpression);
        Assert.Equal(updates[0].ExpressionAttributeValues[":now"].S, updates[1].ExpressionAttributeValues[":now"].S);
    }

    [Fact]
    public async Task ApplyOutcomeAsync_WrittenItemSettledButCancellationRacedIn_SettlesKeepingTheReopenedMarkers()
    {
        _dynamo.Items[DynamoOrderStore.OrderPrefix + OrderId] = OrderItem(null, "PENDING", true, email: "PENDING");
        _dynamo.UpdateResult = _ => OrderItem("CANCELLING", "RESERVED", true);

        await _store.ApplyOutcomeAsync(OrderId, "event-1", TrackedServices.Inventory, ServiceStatus.Reserved, Ct);

        var settle = _dynamo.Requests.OfType<UpdateItemRequest>().Last();
        Assert.Equal("SET completedAt = :now", settle.UpdateExpression);
        Assert.EndsWith("lifecycle = :lifecycle", settle.ConditionExpression, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApplyOutcomeAsync_SettleLostToAnotherSettle_LeavesTheOrderAsItIs()
    {
        _dynamo.Items[DynamoOrderStore.OrderPrefix + OrderId] = OrderItem(null, "PENDING", true, email: "PENDING");
        _dynamo.UpdateResult = _ => OrderItem(null, "RESERVED", true);
        var settled = OrderItem(null, "RESERVED", false);
        settled["completedAt"] = new AttributeValue { S = "2026-01-01T00:00:00.0000000Z" };
        _dynamo.OnUpdateItem = request =>
        {
            if (request.UpdateExpression.StartsWith("SET completedAt", StringComparison.Ordinal))
            {
                throw new ConditionalCheckFailedException("The conditional request failed") { Item = settled };
            }
        };

        Assert.Equal(ApplyOutcomeStatus.Applied, (await _store.ApplyOutcomeAsync(OrderId, "event-1", TrackedServices.Inventory, ServiceStatus.Reserved, Ct)).Status);
        Assert.Equal(2, _dynamo.Requests.OfType<UpdateItemRequest>().Count());
    }

    [Fact]
    public async Task ApplyOutcomeAsync_DuplicateOfAnOrderLeftUnsettled_SettlesIt()
    {
        // The outcome was written, but its settle never was (the invocation stopped): the retry settles it.
        var item = OrderItem(null, "RESERVED", true);
        item["appliedEvents"] = new AttributeValue { SS = ["event-1"] };
        _dynamo.Items[DynamoOrderStore.OrderPrefix + OrderId] = item;

        Assert.Equal(ApplyOutcomeStatus.Duplicate, (await _store.ApplyOutcomeAsync(OrderId, "event-1", TrackedServices.Inventory, ServiceStatus.Reserved, Ct)).Status);

        Assert.Equal("SET completedAt = :now REMOVE #shard, #since", Assert.Single(_dynamo.Requests.OfType<UpdateItemRequest>()).UpdateExpression);
    }

    [Theory]
    [InlineData("event-1", ServiceStatus.Sent, ApplyOutcomeStatus.Duplicate)]
    [InlineData("event-0", ServiceStatus.Sent, ApplyOutcomeStatus.Duplicate)]
    [InlineData("event-1", ServiceStatus.Skipped, ApplyOutcomeStatus.Duplicate)]
    [InlineData("event-0", ServiceStatus.Skipped, ApplyOutcomeStatus.Conflict)]
    public async Task ApplyOutcomeAsync_NotApplicable_TellsDuplicateFromConflictAndWritesNothing(string appliedEvent, string current, ApplyOutcomeStatus expected)
    {
        var item = OrderItem(null, "PENDING", true, sms: current);
        item["appliedEvents"] = new AttributeValue { SS = [appliedEvent] };
        _dynamo.Items[DynamoOrderStore.OrderPrefix + OrderId] = item;

        var result = await _store.ApplyOutcomeAsync(OrderId, "event-1", TrackedServices.Sms, ServiceStatus.Sent, Ct);

        Assert.Equal(expected, result.Status);
        Assert.Equal(TestClock.Start, result.CreatedAt);
        Assert.Null(result.AppliedAt);
        Assert.DoesNotContain(_dynamo.Requests, r => r is UpdateItemRequest);
    }

    [Fact]
    public async Task ApplyOutcomeAsync_OrderMissing_SaysSoAndWritesNothing()
    {
        Assert.Equal(ApplyOutcomeStatus.OrderMissing, (await _store.ApplyOutcomeAsync(OrderId, "event-1", TrackedServices.Sms, ServiceStatus.Sent, Ct)).Status);
        Assert.IsType<GetItemRequest>(Assert.Single(_dynamo.Requests));
    }

    [Fact]
    public async Task ApplyOutcomeAsync_LastOutcomeOfAnOpenOrder_CompletesItAndLeavesTheIndexInTheSameUpdate()
    {
        _dynamo.Items[DynamoOrderStore.OrderPrefix + OrderId] = OrderItem(null, "PENDING", true);

        await _store.ApplyOutcomeAsync(OrderId, "event-1", TrackedServices.Inventory, ServiceStatus.Rejected, Ct);

        var update = Assert.Single(_dynamo.Requests.OfType<UpdateItemRequest>());
        Assert.Equal("SET #svc = :status, appliedAt.#svc = :now, completedAt = :now ADD appliedEvents :events REMOVE #shard, #since", update.UpdateExpression);
        Assert.Equal((ReconcilerSpec.OpenShardAttribute, ReconcilerSpec.OpenSinceAttribute), (update.ExpressionAttributeNames["#shard"], update.ExpressionAttributeNames["#since"]));
        Assert.Equal(("SENT", "SENT"), (update.ExpressionAttributeValues[":o1"].S, update.ExpressionAttributeValues[":o2"].S));
    }

    [Fact]
    public async Task ApplyOutcomeAsync_ReleasedWhileCancelling_SettlesToCancelledInTheSameUpdate()
    {
        _dynamo.Items[DynamoOrderStore.OrderPrefix + OrderId] = OrderItem("CANCELLING", "RESERVED", true);

        Assert.Equal(ApplyOutcomeStatus.Applied, (await _store.ApplyOutcomeAsync(OrderId, "event-1", TrackedServices.Inventory, ServiceStatus.Released, Ct)).Status);

        var update = Assert.Single(_dynamo.Requests.OfType<UpdateItemRequest>());
        Assert.Equal("SET #svc = :status, appliedAt.#svc = :now, completedAt = :now, lifecycle = :cancelled ADD appliedEvents :events REMOVE #shard, #since", update.UpdateExpression);
        Assert.EndsWith("AND lifecycle = :lifecycle AND attribute_not_exists(completedAt)", update.ConditionExpression, StringComparison.Ordinal);
        Assert.Equal(("CANCELLED", "CANCELLING", "RESERVED"), (update.ExpressionAttributeValues[":cancelled"].S, update.ExpressionAttributeValues[":lifecycle"].S, update.ExpressionAttributeValues[":was"].S));
    }

    [Theory]
    [InlineData(null, "RESERVED", false)]
    [InlineData("CANCELLING", "RESERVED", true)]
    public async Task ApplyOutcomeAsync_OutcomeThatDoesNotSettleAnOpenOrder_KeepsItsMarkers(string? lifecycle, string inventory, bool open)
    {
        var item = OrderItem(lifecycle, "PENDING", open, sms: "PENDING");
        item["completedAt"] = new AttributeValue { S = "2026-01-01T00:00:00.0000000Z" };
        _dynamo.Items[DynamoOrderStore.OrderPrefix + OrderId] = item;

        await _store.ApplyOutcomeAsync(OrderId, "event-1", TrackedServices.Inventory, inventory, Ct);

        var update = Assert.Single(_dynamo.Requests.OfType<UpdateItemRequest>());
        Assert.Equal("SET #svc = :status, appliedAt.#svc = :now ADD appliedEvents :events", update.UpdateExpression);
    }

    [Fact]
    public async Task ApplyOutcomeAsync_SettlingUpdateLostToACancellation_DecidesAgainFromTheReturnedItem()
    {
        _dynamo.Items[DynamoOrderStore.OrderPrefix + OrderId] = OrderItem(null, "PENDING", true);
        var attempts = 0;
        _dynamo.OnUpdateItem = _ =>
        {
            if (attempts++ == 0)
            {
                // A cancellation reopened the order between the read and the settling write.
                throw new ConditionalCheckFailedException("The conditional request failed") { Item = OrderItem("CANCELLING", "PENDING", true) };
            }
        };

        var result = await _store.ApplyOutcomeAsync(OrderId, "event-1", TrackedServices.Inventory, ServiceStatus.Reserved, Ct);

        Assert.Equal(ApplyOutcomeStatus.Applied, result.Status);
        var updates = _dynamo.Requests.OfType<UpdateItemRequest>().ToList();
        Assert.Equal(2, updates.Count);
        Assert.EndsWith("REMOVE #shard, #since", updates[0].UpdateExpression, StringComparison.Ordinal);
        // Still the last outcome (completedAt), but a cancelling order keeps its markers until RELEASED.
        Assert.Equal("SET #svc = :status, appliedAt.#svc = :now, completedAt = :now ADD appliedEvents :events", updates[1].UpdateExpression);
        Assert.Contains("lifecycle = :lifecycle", updates[1].ConditionExpression, StringComparison.Ordinal);
        Assert.Single(_dynamo.Requests.OfType<GetItemRequest>());
    }

    [Fact]
    public async Task ApplyOutcomeAsync_OrderChangesUnderEveryAttempt_Throws()
    {
        _dynamo.Items[DynamoOrderStore.OrderPrefix + OrderId] = OrderItem(null, "PENDING", true, email: "PENDING");
        _dynamo.OnUpdateItem = _ => throw new ConditionalCheckFailedException("The conditional request failed") { Item = OrderItem(null, "PENDING", true, email: "PENDING") };

        await Assert.ThrowsAsync<InvalidOperationException>(() => _store.ApplyOutcomeAsync(OrderId, "event-1", TrackedServices.Inventory, ServiceStatus.Reserved, Ct));
        Assert.Equal(DynamoOrderStore.ApplyAttempts, _dynamo.Requests.OfType<UpdateItemRequest>().Count());
    }

    [Theory]
    [InlineData(ServiceStatus.Reserved)]
    [InlineData(ServiceStatus.Rejected)]
    public async Task ApplyOutcomeAsync_LateInventoryOutcomeAfterReleased_IsADuplicateAndWritesNothing(string late)
    {
        var item = OrderItem("CANCELLED", "RELEASED", false);
        item["completedAt"] = new AttributeValue { S = "2026-01-01T00:00:00.0000000Z" };
        _dynamo.Items[DynamoOrderStore.OrderPrefix + OrderId] = item;

        Assert.Equal(ApplyOutcomeStatus.Duplicate, (await _store.ApplyOutcomeAsync(OrderId, "event-2", TrackedServices.Inventory, late, Ct)).Status);
        Assert.DoesNotContain(_dynamo.Requests, r => r is UpdateItemRequest);
    }

    [Fact]
    public async Task ApplyOutcomeAsync_AnotherReleaseUnderANewEventId_IsAppliedOnceMore()
    {
        var item = OrderItem("CANCELLED", "RELEASED", false);
        item["appliedEvents"] = new AttributeValue { SS = ["event-1"] };
        item["completedAt"] = new AttributeValue { S = "2026-01-01T00:00:00.0000000Z" };
        _dynamo.Items[DynamoOrderStore.OrderPrefix + OrderId] = item;

        Assert.Equal(ApplyOutcomeStatus.Duplicate, (await _store.ApplyOutcomeAsync(OrderId, "event-1", TrackedServices.Inventory, ServiceStatus.Released, Ct)).Status);
        Assert.Equal(ApplyOutcomeStatus.Applied, (await _store.ApplyOutcomeAsync(OrderId, "event-2", TrackedServices.Inventory, ServiceStatus.Released, Ct)).Status);
        Assert.Single(_dynamo.Requests.OfType<UpdateItemRequest>());
    }

    [Fact]
    public void OrderItem_OneLineOrderWithEveryOutcomeApplied_StaysUnderOneKilobyteSoEachWriteCostsOneUnit()
    {
        // AWS's item size: the UTF-8 bytes of every attribute name plus its value ("Item sizes and formats").
        var placed = new Fanout.Contracts.Events.OrderPlaced
        {
            OrderId = OrderId,
            Customer = new Fanout.Contracts.Events.CustomerInfo { Id = "8f14e45f-ceea-467f-a0e6-1b6f3c8d2a11", Email = "ada.lovelace@example.com", Phone = "+14155550123" },
            Items = [new Fanout.Contracts.Events.OrderLine { Sku = "MUG-WHITE", Quantity = 2 }, new Fanout.Contracts.Events.OrderLine { Sku = "TEE-BLACK-M", Quantity = 1 }],
            PlacedAt = TestClock.Start,
        };
        var order = new OrderRecord(OrderId, OrderPlacedEvents.Create(placed, Guid.NewGuid().ToString(), TestClock.Start).Json, Guid.NewGuid().ToString(), new string('a', 64), TestClock.Start, TrackedServices.All.ToDictionary(s => s, _ => ServiceStatus.Pending));
        var item = DynamoOrderStore.ToItem(order);
        item[ReconcilerSpec.OpenShardAttribute] = new() { S = "OPEN#0" };
        item[ReconcilerSpec.OpenSinceAttribute] = new() { S = OpenOrders.Since(TestClock.Start) };
        item["keyDigest"] = new() { S = OrderIds.KeyDigest(new string('k', 64) + "#" + new string('c', 255)) };
        item["writeToken"] = new() { S = OrderIds.NewWriteToken() };
        var envelopeBytes = System.Text.Encoding.UTF8.GetByteCount(order.EventJson);

        // Every outcome applied (the order's largest shape while still in the index: the last update's old image).
        var at = new AttributeValue { S = TestClock.Start.ToString("O", CultureInfo.InvariantCulture) };
        item["appliedAt"] = new AttributeValue { M = TrackedServices.All.ToDictionary(s => s, _ => at) };
        item["appliedEvents"] = new AttributeValue { SS = TrackedServices.All.Select(s => Fanout.Contracts.Events.EventIds.For(OrderId, s, "OUTCOME")).ToList() };
        item["completedAt"] = at;
        foreach (var service in TrackedServices.All)
        {
            item[service] = new AttributeValue { S = ServiceStatus.Reserved };
        }

        var size = ItemSize(item);
        Assert.True(size <= 1024, $"The order item is {size} bytes; each write of it would cost {(size + 1023) / 1024} WCU.");
        Assert.True(envelopeBytes > 400, $"The envelope ({envelopeBytes} bytes) is what the item no longer carries.");
    }

    [Fact]
    public async Task CreateAsync_NullOrder_ThrowsArgumentNullExceptionAndWritesNothing()
    {
        var error = await Assert.ThrowsAsync<ArgumentNullException>(() => _store.CreateAsync(null!, Key, Ct));

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
    public async Task QueryOpenAsync_ReadsTheShardOlderThanTheCutOffPageByPageAndRereadsEachOrder()
    {
        var placedJson = Envelope(OrderId, "corr-0");
        var cancelJson = CloudEventBuilder.OrderPlaced().With("id", CancelId).With("type", "OrderCancelled").Build();
        _dynamo.Items[DynamoOrderStore.OrderPrefix + OrderId] = OrderItem(null, "PENDING", true, sms: "PENDING", email: "PENDING");
        var cancelling = OrderItem("CANCELLING", "RESERVED", true, OtherOrderId);
        cancelling["cancelEventJson"] = new AttributeValue { S = cancelJson };
        _dynamo.Items[DynamoOrderStore.OrderPrefix + OtherOrderId] = cancelling;
        // The index projects keys only: each hit names its order by the table key.
        static Dictionary<string, AttributeValue> Hit(string id) => new() { ["pk"] = new() { S = DynamoOrderStore.OrderPrefix + id }, ["openShard"] = new() { S = "OPEN#2" } };
        _dynamo.OnQuery = q => q.ExclusiveStartKey is null
            ? new QueryResponse { Items = [Hit(OrderId)], LastEvaluatedKey = new() { ["pk"] = new() { S = "next" } } }
            : new QueryResponse { Items = [Hit(OtherOrderId), Hit("0195a1b2-c3d4-7e5f-8a9b-0000000000dd")] };

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
        Assert.True(open[0].OwesPlaced);
        Assert.False(open[1].OwesPlaced);
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
        Assert.NotNull(DynamoOrderStore.ToOpenOrder(pending with { OpenSince = TestClock.Start }));
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

    private static Dictionary<string, AttributeValue> OrderItem(string? lifecycle, string inventory, bool open, string orderId = OrderId, string sms = "SENT", string email = "SENT")
    {
        var item = new Dictionary<string, AttributeValue>
        {
            [FanoutTopology.PartitionKey] = new() { S = DynamoOrderStore.OrderPrefix + orderId },
            ["orderId"] = new() { S = orderId },
            ["data"] = new() { S = OrderPlacedEvents.DataJson(OrderPlacedEvents.DataOf(Envelope(orderId))) },
            ["correlationId"] = new() { S = "corr-0" },
            ["requestHash"] = new() { S = "h" },
            ["createdAt"] = new() { S = TestClock.Start.ToString("O", CultureInfo.InvariantCulture) },
            ["sms"] = new() { S = sms },
            ["email"] = new() { S = email },
            ["inventory"] = new() { S = inventory },
            ["appliedAt"] = new() { M = [], IsMSet = true },
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

    /// <summary>The OrderPlaced envelope of a test order, as the intake builds it.</summary>
    private static string Envelope(string orderId, string correlationId = "corr-1") =>
        OrderPlacedEvents.Create(
            new Fanout.Contracts.Events.OrderPlaced
            {
                OrderId = orderId,
                Customer = new Fanout.Contracts.Events.CustomerInfo { Id = "customer-1", Email = "ada@example.com", Phone = "+14155550123" },
                Items = [new Fanout.Contracts.Events.OrderLine { Sku = "MUG-WHITE", Quantity = 2 }],
                PlacedAt = TestClock.Start,
            },
            correlationId,
            TestClock.Start).Json;

    private static OrderRecord Record(string orderId, string hash) =>
        new(orderId, Envelope(orderId), "corr-1", hash, TestClock.Start, TrackedServices.All.ToDictionary(s => s, _ => ServiceStatus.Pending));

    /// <summary>AWS's item size: the UTF-8 bytes of each attribute name plus its value (strings as UTF-8, numbers as
    /// given, sets and maps as their members plus, for maps, the member names; overheads of a few bytes ignored).</summary>
    private static int ItemSize(Dictionary<string, AttributeValue> item) =>
        item.Sum(a => System.Text.Encoding.UTF8.GetByteCount(a.Key) + ValueSize(a.Value));

    private static int ValueSize(AttributeValue value) =>
        value.S is { } text ? System.Text.Encoding.UTF8.GetByteCount(text)
        : value.N is { } number ? number.Length
        : value.SS is { Count: > 0 } set ? set.Sum(System.Text.Encoding.UTF8.GetByteCount)
        : value.M is { } map ? 3 + map.Sum(m => 1 + System.Text.Encoding.UTF8.GetByteCount(m.Key) + ValueSize(m.Value))
        : 1;

    private void SeedOrder(string orderId, string hash, DateTimeOffset? createdAt = null)
    {
        var item = OrderItem(null, "PENDING", false, orderId, "PENDING", "PENDING");
        item["requestHash"] = new() { S = hash };
        item["keyDigest"] = new() { S = OrderIds.KeyDigest(Key) };
        item["writeToken"] = new() { S = "another-request" };
        item["createdAt"] = new() { S = (createdAt ?? TestClock.Start).ToString("O", CultureInfo.InvariantCulture) };
        _dynamo.Items[DynamoOrderStore.OrderPrefix + orderId] = item;
    }
}

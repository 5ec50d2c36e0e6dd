using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Publishing;
using Fanout.Orders.Core;
using Fanout.Orders.Outbox;

namespace Fanout.Orders;

/// <summary>The orders table: <c>ORDER#id</c> items (the order, its OrderPlaced event, per-service
/// statuses, its <c>lifecycle</c> and <c>cancelEventJson</c> once a cancellation is accepted, and the open-orders
/// markers <c>openShard</c>/<c>openSince</c> while it is <c>PENDING</c> or <c>CANCELLING</c>), <c>OUTBOX#eventId</c>
/// items (<see cref="DynamoOutbox"/>) and <c>IDEMPOTENCY#key</c> items (which order a client's key created, and with what request). The key
/// is stored as given; order intake passes it already scoped to the caller
/// (<c>IDEMPOTENCY#&lt;hex SHA-256 of sub&gt;#&lt;client key&gt;</c>), so every key item still starts with
/// <see cref="KeyPrefix"/> and IAM <c>dynamodb:LeadingKeys</c> patterns on that prefix keep matching.</summary>
public sealed class DynamoOrderStore : IOrderStore
{
    public const string OrderPrefix = "ORDER#";
    public const string KeyPrefix = "IDEMPOTENCY#";

    /// <summary>How long an idempotency key is remembered (clients retry within minutes, not days).</summary>
    public static readonly TimeSpan KeyRetention = TimeSpan.FromHours(24);

    private const string ConditionalCheckFailed = "ConditionalCheckFailed";
    private const string TransactionConflict = "TransactionConflict";
    private readonly IAmazonDynamoDB _dynamo;
    private readonly string _tableName;
    private readonly TimeProvider _time;
    private readonly IOutbox? _outbox;

    /// <param name="outbox">The outbox items of the same table (<see cref="DynamoOutbox"/>), for a function that
    /// publishes what it writes (order intake); null for one that only applies outcomes (order status), which is then
    /// neither built with nor granted the outbox's delete.</param>
    public DynamoOrderStore(IAmazonDynamoDB dynamo, string tableName, TimeProvider time, IOutbox? outbox = null)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        ArgumentException.ThrowIfNullOrWhiteSpace(tableName);
        ArgumentNullException.ThrowIfNull(time);
        _dynamo = dynamo;
        _tableName = tableName;
        _time = time;
        _outbox = outbox;
    }

    /// <summary>The outbox items of the same table.</summary>
    /// <exception cref="InvalidOperationException">The store was built without an outbox.</exception>
    public IOutbox Outbox => _outbox ?? throw new InvalidOperationException("This order store was built without its outbox.");

    /// <summary>Writes the key's item, the order (with its open-orders markers) and the outbox entry
    /// <paramref name="placed"/> in one transaction that never overwrites.</summary>
    /// <remarks>Outcomes besides <see cref="CreateOrderStatus.Created"/>:
    /// <list type="bullet">
    /// <item>A key whose item is past its <see cref="KeyRetention"/> counts as unused and is taken over, even while
    /// DynamoDB has not yet deleted it: TTL deletion runs lazily, typically within days, and DynamoDB Local never
    /// runs it (AWS DynamoDB developer guide, "Time to Live").</item>
    /// <item><c>TransactionConflict</c> (another request is writing the same key right now; TransactWriteItems
    /// API reference) gives <see cref="CreateOrderStatus.InProgress"/>, never an exception.</item>
    /// <item>A conditional failure on this very order id with this request hash means the SDK retried a write
    /// that had succeeded but whose response was lost: that is <see cref="CreateOrderStatus.Created"/>.
    /// <c>ClientRequestToken</c> makes such retries succeed outright within DynamoDB's 10-minute window.</item>
    /// </list></remarks>
    public async Task<CreateOrderResult> CreateAsync(OrderRecord order, OutboxEntry placed, string idempotencyKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentNullException.ThrowIfNull(placed);
        ArgumentException.ThrowIfNullOrEmpty(idempotencyKey);
        var orderItem = ToItem(order);
        orderItem[ReconcilerSpec.OpenShardAttribute] = new() { S = OpenOrders.ShardKey(OpenOrders.ShardOf(order.OrderId)) };
        orderItem[ReconcilerSpec.OpenSinceAttribute] = new() { S = OpenOrders.Since(order.CreatedAt) };
        var orderPut = new Put
        {
            TableName = _tableName,
            Item = orderItem,
            ConditionExpression = "attribute_not_exists(#pk)",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = FanoutTopology.PartitionKey },
            ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
        };

        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var keyPut = new Put
        {
            TableName = _tableName,
            Item = new Dictionary<string, AttributeValue>
            {
                [FanoutTopology.PartitionKey] = new() { S = KeyPrefix + idempotencyKey },
                ["orderId"] = new() { S = order.OrderId },
                ["requestHash"] = new() { S = order.RequestHash },
                [FanoutTopology.TtlAttribute] = new() { N = Seconds(now + (long)KeyRetention.TotalSeconds) },
            },
            ConditionExpression = "attribute_not_exists(#pk) OR #ttl < :now",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = FanoutTopology.PartitionKey, ["#ttl"] = FanoutTopology.TtlAttribute },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":now"] = new() { N = Seconds(now) } },
            ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
        };

        try
        {
            await _dynamo.TransactWriteItemsAsync(
                new TransactWriteItemsRequest
                {
                    TransactItems = [new() { Put = keyPut }, new() { Put = orderPut }, new() { Put = DynamoOutbox.PutFor(_tableName, placed) }],
                    ClientRequestToken = order.OrderId,
                },
                cancellationToken);
            return new CreateOrderResult(CreateOrderStatus.Created, order);
        }
        catch (TransactionCanceledException ex) when (ex.CancellationReasons is { Count: > 0 } reasons && reasons.Exists(r => r.Code == TransactionConflict))
        {
            return new CreateOrderResult(CreateOrderStatus.InProgress, null);
        }
        catch (TransactionCanceledException ex) when (ex.CancellationReasons is { Count: > 0 } reasons && reasons[0].Code == ConditionalCheckFailed)
        {
            var keyItem = reasons[0].Item is { Count: > 0 } returned ? returned : await GetItemAsync(KeyPrefix + idempotencyKey, cancellationToken);
            if (keyItem is null || IsExpired(keyItem, now))
            {
                // The key went away (or expired) between the write and this read: the next attempt will take it.
                return new CreateOrderResult(CreateOrderStatus.InProgress, null);
            }

            if (keyItem["requestHash"].S != order.RequestHash)
            {
                return new CreateOrderResult(CreateOrderStatus.KeyConflict, null);
            }

            var existingId = keyItem["orderId"].S;
            var existing = await GetAsync(existingId, cancellationToken)
                ?? throw new InvalidOperationException($"Idempotency key '{idempotencyKey}' names an order that does not exist.", ex);
            return new CreateOrderResult(existingId == order.OrderId ? CreateOrderStatus.Created : CreateOrderStatus.ExistingForKey, existing);
        }
    }

    public async Task<OrderRecord?> GetAsync(string orderId, CancellationToken cancellationToken)
    {
        var item = await GetItemAsync(OrderPrefix + orderId, cancellationToken);
        return item is null ? null : FromItem(item);
    }

    /// <remarks>One <c>TransactWriteItems</c>: an Update of the order (condition: it exists, has no
    /// <c>lifecycle</c>, and its three service statuses are still those of <paramref name="seen"/>) and the outbox
    /// Put. A conditional failure or a <c>TransactionConflict</c> answers false.</remarks>
    public async Task<bool> RequestCancelAsync(OrderRecord seen, OutboxEntry cancelled, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(seen);
        ArgumentNullException.ThrowIfNull(cancelled);
        var names = new Dictionary<string, string>
        {
            ["#pk"] = FanoutTopology.PartitionKey,
            ["#shard"] = ReconcilerSpec.OpenShardAttribute,
            ["#since"] = ReconcilerSpec.OpenSinceAttribute,
        };
        var values = new Dictionary<string, AttributeValue>
        {
            [":cancelling"] = new() { S = OrderStatuses.Cancelling },
            [":event"] = new() { S = cancelled.Event.Json },
            [":shard"] = new() { S = OpenOrders.ShardKey(OpenOrders.ShardOf(seen.OrderId)) },
            [":since"] = new() { S = OpenOrders.Since(at) },
            [":now"] = new() { S = Format(at) },
        };
        // Only what forbids a cancel is checked, not the statuses as read: the consumers update those while the
        // order is young, and a condition on them made a cancel right after POST lose to every outcome in flight.
        // Cancellable = no lifecycle yet, and not REJECTED (every service reported and inventory refused).
        names["#inv"] = TrackedServices.Inventory;
        names["#sms"] = TrackedServices.Sms;
        names["#email"] = TrackedServices.Email;
        values[":rejected"] = new() { S = ServiceStatus.Rejected };
        values[":pending"] = new() { S = ServiceStatus.Pending };
        const string condition = "attribute_exists(#pk) AND attribute_not_exists(lifecycle) AND (#inv <> :rejected OR #sms = :pending OR #email = :pending)";

        var update = new Update
        {
            TableName = _tableName,
            Key = Key(OrderPrefix + seen.OrderId),
            UpdateExpression = "SET lifecycle = :cancelling, cancelEventJson = :event, #shard = :shard, #since = :since, updatedAt = :now",
            ConditionExpression = condition,
            ExpressionAttributeNames = names,
            ExpressionAttributeValues = values,
        };
        try
        {
            await _dynamo.TransactWriteItemsAsync(
                new TransactWriteItemsRequest { TransactItems = [new() { Update = update }, new() { Put = DynamoOutbox.PutFor(_tableName, cancelled) }] },
                cancellationToken);
            return true;
        }
        catch (TransactionCanceledException ex) when (ex.CancellationReasons is { Count: > 0 } reasons
            && reasons.Exists(r => r.Code is ConditionalCheckFailed or TransactionConflict))
        {
            return false;
        }
    }

    /// <remarks>The outcome is one conditional Update (once per event id; a service's status moves from
    /// <c>PENDING</c> to one final value, except that inventory may become <c>RELEASED</c> from any value). An
    /// <c>InventoryReserved</c> or <c>InventoryRejected</c> arriving after <c>RELEASED</c> is a late duplicate, never a
    /// regression. Then, also after a duplicate (a crash may have come between the two steps), the order is settled
    /// with a second conditional Update; see <see cref="SettleAsync"/>.</remarks>
    public async Task<ApplyOutcomeStatus> ApplyOutcomeAsync(string orderId, string eventId, string service, string status, CancellationToken cancellationToken)
    {
        Dictionary<string, AttributeValue>? item;
        ApplyOutcomeStatus result;
        try
        {
            var response = await _dynamo.UpdateItemAsync(
                new UpdateItemRequest
                {
                    TableName = _tableName,
                    Key = Key(OrderPrefix + orderId),
                    UpdateExpression = "SET #svc = :status, updatedAt = :now ADD appliedEvents :events",
                    ConditionExpression = status == ServiceStatus.Released
                        ? "attribute_exists(#pk) AND NOT contains(appliedEvents, :eventId)"
                        : "attribute_exists(#pk) AND NOT contains(appliedEvents, :eventId) AND (#svc = :pending OR #svc = :status)",
                    ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = FanoutTopology.PartitionKey, ["#svc"] = service },
                    ExpressionAttributeValues = OutcomeValues(eventId, status),
                    ReturnValues = ReturnValue.ALL_NEW,
                    ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
                },
                cancellationToken);
            item = response.Attributes;
            result = ApplyOutcomeStatus.Applied;
        }
        catch (ConditionalCheckFailedException ex)
        {
            item = ex.Item is { Count: > 0 } returned ? returned : await GetItemAsync(OrderPrefix + orderId, cancellationToken);
            if (item is null)
            {
                return ApplyOutcomeStatus.OrderMissing;
            }

            result = item.TryGetValue(service, out var current) && current.S is { } was && was != ServiceStatus.Pending && was != status
                && !(item.TryGetValue("appliedEvents", out var applied) && applied.SS is { } ids && ids.Contains(eventId))
                && was != ServiceStatus.Released
                ? ApplyOutcomeStatus.Conflict
                : ApplyOutcomeStatus.Duplicate;
        }

        if (item is { Count: > 0 } && result != ApplyOutcomeStatus.Conflict)
        {
            await SettleAsync(FromItem(item), cancellationToken);
        }

        return result;
    }

    /// <summary>Brings a settled order's stored state up to date, each step a conditional, idempotent Update:
    /// <c>CANCELLING</c> with inventory <c>RELEASED</c> becomes <c>CANCELLED</c> and leaves the open-orders index;
    /// an order with no lifecycle whose computed status is <c>COMPLETED</c> or <c>REJECTED</c> leaves the index.</summary>
    private async Task SettleAsync(OrderRecord order, CancellationToken cancellationToken)
    {
        string condition;
        string update;
        if (order.Lifecycle == OrderStatuses.Cancelling && order.Statuses.GetValueOrDefault(TrackedServices.Inventory) == ServiceStatus.Released)
        {
            condition = "lifecycle = :cancelling AND #inv = :released";
            update = "SET lifecycle = :cancelled REMOVE #shard, #since";
        }
        else if (order.Lifecycle is null && order.OpenSince is not null && OrderStatuses.IsSettled(order.Status))
        {
            condition = "attribute_not_exists(lifecycle) AND attribute_exists(#shard) AND #inv <> :pending AND #sms <> :pending AND #email <> :pending";
            update = "REMOVE #shard, #since";
        }
        else
        {
            return;
        }

        try
        {
            await _dynamo.UpdateItemAsync(
                new UpdateItemRequest
                {
                    TableName = _tableName,
                    Key = Key(OrderPrefix + order.OrderId),
                    UpdateExpression = update,
                    ConditionExpression = condition,
                    ExpressionAttributeNames = new Dictionary<string, string>
                    {
                        ["#inv"] = TrackedServices.Inventory,
                        ["#sms"] = TrackedServices.Sms,
                        ["#email"] = TrackedServices.Email,
                        ["#shard"] = ReconcilerSpec.OpenShardAttribute,
                        ["#since"] = ReconcilerSpec.OpenSinceAttribute,
                    }.Where(n => condition.Contains(n.Key, StringComparison.Ordinal) || update.Contains(n.Key, StringComparison.Ordinal)).ToDictionary(),
                    ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                    {
                        [":cancelling"] = new() { S = OrderStatuses.Cancelling },
                        [":cancelled"] = new() { S = OrderStatuses.Cancelled },
                        [":released"] = new() { S = ServiceStatus.Released },
                        [":pending"] = new() { S = ServiceStatus.Pending },
                    }.Where(v => condition.Contains(v.Key, StringComparison.Ordinal) || update.Contains(v.Key, StringComparison.Ordinal)).ToDictionary(),
                },
                cancellationToken);
        }
        catch (ConditionalCheckFailedException)
        {
            // Someone settled it first (or a cancellation reopened it): nothing left to do.
        }
    }

    /// <summary>The open order <paramref name="order"/> is, with its pending fact; null when it is not open.</summary>
    internal static OpenOrder? ToOpenOrder(OrderRecord order)
    {
        var status = order.Status;
        var json = status switch
        {
            OrderStatuses.Pending when order.Lifecycle is null => order.EventJson,
            OrderStatuses.Cancelling => order.CancelEventJson,
            _ => null,
        };
        if (json is null || order.OpenSince is not { } since)
        {
            return null;
        }

        var envelope = Fanout.Contracts.Events.EventParser.ParseEnvelope(json);
        return new OpenOrder(order.OrderId, status, since, new OutgoingEvent(envelope.Id!, envelope.Type!, envelope.CorrelationId!, json));
    }

    /// <summary>The outcome update's values; <c>:pending</c> only where the condition uses it (DynamoDB refuses unused values).</summary>
    private Dictionary<string, AttributeValue> OutcomeValues(string eventId, string status)
    {
        var values = new Dictionary<string, AttributeValue>
        {
            [":status"] = new() { S = status },
            [":now"] = new() { S = Format(_time.GetUtcNow()) },
            [":events"] = new() { SS = [eventId] },
            [":eventId"] = new() { S = eventId },
        };
        if (status != ServiceStatus.Released)
        {
            values[":pending"] = new() { S = ServiceStatus.Pending };
        }

        return values;
    }

    private static bool IsExpired(Dictionary<string, AttributeValue> keyItem, long now) =>
        keyItem.TryGetValue(FanoutTopology.TtlAttribute, out var ttl)
        && long.TryParse(ttl.N, NumberStyles.Integer, CultureInfo.InvariantCulture, out var expiresAt)
        && expiresAt < now;

    private static string Seconds(long value) => value.ToString(CultureInfo.InvariantCulture);

    private async Task<Dictionary<string, AttributeValue>?> GetItemAsync(string pk, CancellationToken cancellationToken)
    {
        var response = await _dynamo.GetItemAsync(new GetItemRequest { TableName = _tableName, Key = Key(pk), ConsistentRead = true }, cancellationToken);
        return response.Item is { Count: > 0 } item ? item : null;
    }

    private static Dictionary<string, AttributeValue> ToItem(OrderRecord order)
    {
        var item = new Dictionary<string, AttributeValue>
        {
            [FanoutTopology.PartitionKey] = new() { S = OrderPrefix + order.OrderId },
            ["orderId"] = new() { S = order.OrderId },
            ["eventJson"] = new() { S = order.EventJson },
            ["correlationId"] = new() { S = order.CorrelationId },
            ["requestHash"] = new() { S = order.RequestHash },
            ["createdAt"] = new() { S = Format(order.CreatedAt) },
        };
        foreach (var service in TrackedServices.All)
        {
            item[service] = new AttributeValue { S = order.Statuses.TryGetValue(service, out var s) ? s : ServiceStatus.Pending };
        }

        return item;
    }

    /// <summary>The order an <c>ORDER#</c> item holds.</summary>
    internal static OrderRecord FromItem(Dictionary<string, AttributeValue> item)
    {
        var statuses = new Dictionary<string, string>(TrackedServices.All.Count);
        foreach (var service in TrackedServices.All)
        {
            statuses[service] = item.TryGetValue(service, out var s) ? s.S : ServiceStatus.Pending;
        }

        return new OrderRecord(
            item["orderId"].S,
            item["eventJson"].S,
            item["correlationId"].S,
            item["requestHash"].S,
            DateTimeOffset.Parse(item["createdAt"].S, CultureInfo.InvariantCulture),
            statuses)
        {
            Lifecycle = item.TryGetValue("lifecycle", out var lifecycle) ? lifecycle.S : null,
            CancelEventJson = item.TryGetValue("cancelEventJson", out var cancel) ? cancel.S : null,
            OpenSince = item.TryGetValue(ReconcilerSpec.OpenSinceAttribute, out var since)
                ? DateTimeOffset.Parse(since.S, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal)
                : null,
        };
    }

    private static string Format(DateTimeOffset value) => value.ToString("O", CultureInfo.InvariantCulture);

    private static Dictionary<string, AttributeValue> Key(string pk) => new() { [FanoutTopology.PartitionKey] = new AttributeValue { S = pk } };
}

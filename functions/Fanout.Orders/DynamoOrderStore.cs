using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Publishing;
using Fanout.Orders.Core;
using Fanout.Orders.Outbox;

namespace Fanout.Orders;

/// <summary>The orders table. Items (sizes are AWS's: attribute name bytes plus value bytes; "Item sizes and formats"):
/// <list type="bullet">
/// <item><c>ORDER#id</c> (under 1 KB for a one-line order with every outcome applied, so each write costs 1 WCU):
/// <c>orderId</c> (derived from the caller-scoped idempotency key and the UTC day, <see cref="OrderIds"/>, so the item is
/// also the key's record: <c>keyDigest</c>, <c>requestHash</c> and the writing request's <c>writeToken</c>), <c>data</c>
/// (the <c>OrderPlaced</c> data as JSON, not the envelope: <see cref="OrderPlacedEvents"/> rebuilds the identical
/// envelope from <c>data</c>, <c>correlationId</c> and <c>createdAt</c>),
/// the per-service statuses <c>sms</c>/<c>email</c>/<c>inventory</c>, <c>appliedEvents</c> (string set of applied
/// outcome ids), <c>appliedAt</c> (map service → RFC 3339 UTC), <c>completedAt</c>, <c>lifecycle</c> and
/// <c>cancelEventJson</c> once a cancellation is accepted, and the open-orders markers <c>openShard</c>/<c>openSince</c>
/// while it is <c>PENDING</c> or <c>CANCELLING</c> (the sparse, KEYS_ONLY index the reconciler reads). The order item is
/// also the outbox entry of its <c>OrderPlaced</c>: while no outcome is applied (<see cref="OrderRecord.OwesPlaced"/>)
/// the fact may not have reached the topic, and the outbox relay (from the item's stream INSERT) or the reconciler
/// publish it; the first applied outcome proves delivery at no extra write.</item>
/// <item><c>OUTBOX#eventId</c> items (<see cref="DynamoOutbox"/>): the <c>OrderCancelled</c> of a cancellation.</item>
/// </list>
/// Order intake passes the idempotency key already scoped to the caller (hex SHA-256 of <c>sub</c>, <c>#</c>, the
/// client's key); the store treats it as an opaque string.</summary>
public sealed class DynamoOrderStore : IOrderStore
{
    public const string OrderPrefix = "ORDER#";

    /// <summary>How long an idempotency key is remembered (clients retry within minutes, not days), from the
    /// <c>createdAt</c> of the order it named.</summary>
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

    /// <summary>Creates the order in ONE conditional Put (1 WCU for an item under 1 KB; the sparse open-orders index
    /// write adds 1): the order item is at once the order, the outbox entry of its <c>OrderPlaced</c> and the record of
    /// the idempotency key, because its id is derived from the key and the UTC day (<see cref="OrderIds"/>).</summary>
    /// <remarks>Steps (a key is remembered <see cref="KeyRetention"/>, measured from the order's <c>createdAt</c>):
    /// <list type="number">
    /// <item>A consistent GetItem of the order the key named on the previous UTC day. If it exists and was created at
    /// most <see cref="KeyRetention"/> before <paramref name="order"/>, that order owns the key: the same request
    /// hash answers <see cref="CreateOrderStatus.ExistingForKey"/> with it, another one
    /// <see cref="CreateOrderStatus.KeyConflict"/>.</item>
    /// <item>Otherwise one PutItem of the order (with its open-orders markers, a <c>keyDigest</c> of the scoped key and
    /// a random <c>writeToken</c>), on condition <c>attribute_not_exists(pk)</c>. A conditional failure means the key
    /// named an order earlier today (so less than 24 h ago): another request hash answers
    /// <see cref="CreateOrderStatus.KeyConflict"/>; the same one <see cref="CreateOrderStatus.ExistingForKey"/>, or
    /// <see cref="CreateOrderStatus.Created"/> when the old item carries this call's <c>writeToken</c> (an SDK retry of
    /// this very Put whose first response was lost).</item>
    /// </list>
    /// A key first used more than 24 h ago therefore names a new order on its next use, and that order owns it for the next 24 h.
    /// Nothing expires by TTL: order items are kept.</remarks>
    /// <param name="order">The new order; its <see cref="OrderRecord.OrderId"/> must be
    /// <c>OrderIds.ForKey(idempotencyKey, OrderIds.DayOf(order.CreatedAt))</c>.</param>
    /// <param name="idempotencyKey">The caller-scoped key.</param>
    /// <exception cref="ArgumentException">The order id is not the one the key names on the order's day.</exception>
    /// <exception cref="InvalidOperationException">An order with the derived id exists but another key named it.</exception>
    public async Task<CreateOrderResult> CreateAsync(OrderRecord order, string idempotencyKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentException.ThrowIfNullOrEmpty(idempotencyKey);
        var day = OrderIds.DayOf(order.CreatedAt);
        if (order.OrderId != OrderIds.ForKey(idempotencyKey, day))
        {
            throw new ArgumentException($"Order id {order.OrderId} is not the one the idempotency key names on day {day}.", nameof(order));
        }

        var digest = OrderIds.KeyDigest(idempotencyKey);
        if (await GetItemAsync(OrderPrefix + OrderIds.ForKey(idempotencyKey, day - 1), cancellationToken) is { } previousItem)
        {
            var previous = Owned(previousItem, digest);
            if (order.CreatedAt - previous.CreatedAt <= KeyRetention)
            {
                return Replay(previous, order);
            }
        }

        var token = OrderIds.NewWriteToken();
        var item = ToItem(order);
        item[ReconcilerSpec.OpenShardAttribute] = new() { S = OpenOrders.ShardKey(OpenOrders.ShardOf(order.OrderId)) };
        item[ReconcilerSpec.OpenSinceAttribute] = new() { S = OpenOrders.Since(order.CreatedAt) };
        item[KeyDigestAttribute] = new() { S = digest };
        item[WriteTokenAttribute] = new() { S = token };
        try
        {
            await _dynamo.PutItemAsync(
                new PutItemRequest
                {
                    TableName = _tableName,
                    Item = item,
                    ConditionExpression = "attribute_not_exists(#pk)",
                    ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = FanoutTopology.PartitionKey },
                    ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
                },
                cancellationToken);
            return new CreateOrderResult(CreateOrderStatus.Created, order);
        }
        catch (ConditionalCheckFailedException ex)
        {
            var held = ex.Item is { Count: > 0 } returned ? returned : await GetItemAsync(OrderPrefix + order.OrderId, cancellationToken);
            if (held is null)
            {
                // Order items are never deleted; an answer without the item it failed on is retried by the client.
                return new CreateOrderResult(CreateOrderStatus.InProgress, null);
            }

            var existing = Owned(held, digest);
            if (existing.RequestHash == order.RequestHash && held.TryGetValue(WriteTokenAttribute, out var written) && written.S == token)
            {
                return new CreateOrderResult(CreateOrderStatus.Created, existing);
            }

            return Replay(existing, order);
        }
    }

    /// <summary>The order attribute holding <see cref="OrderIds.KeyDigest"/> of the key that named it.</summary>
    internal const string KeyDigestAttribute = "keyDigest";

    /// <summary>The order attribute holding the random token of the request that wrote it.</summary>
    internal const string WriteTokenAttribute = "writeToken";

    /// <summary>The order <paramref name="item"/> holds, checked to be the one the key with <paramref name="digest"/> named.</summary>
    private static OrderRecord Owned(Dictionary<string, AttributeValue> item, string digest)
    {
        if (!item.TryGetValue(KeyDigestAttribute, out var stored) || stored.S != digest)
        {
            throw new InvalidOperationException($"Order {item["orderId"].S} has the id this idempotency key derives, but another key named it.");
        }

        return FromItem(item);
    }

    private static CreateOrderResult Replay(OrderRecord existing, OrderRecord order) =>
        existing.RequestHash == order.RequestHash
            ? new CreateOrderResult(CreateOrderStatus.ExistingForKey, existing)
            : new CreateOrderResult(CreateOrderStatus.KeyConflict, null);

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

    /// <summary>How often an outcome is tried again when another write to the same order came between its read and
    /// its conditional Update.</summary>
    internal const int ApplyAttempts = 5;

    /// <remarks>A consistent read, then one conditional Update (1 WCU for an item under 1 KB) that records the outcome
    /// (status, <c>appliedAt.&lt;service&gt;</c>, the event id). When what was read says this outcome settles the order
    /// (no other service pending, or inventory <c>RELEASED</c>), the Update also settles it: <c>completedAt</c> once no
    /// service is pending, the open-orders markers removed when the order leaves <c>PENDING</c> with no lifecycle, or
    /// when a <c>CANCELLING</c> order's inventory is <c>RELEASED</c> (which also makes it <c>CANCELLED</c>); its
    /// condition pins what the decision was made from (every service's status, the lifecycle, <c>completedAt</c>, the
    /// event not yet applied). Otherwise the Update is conditioned on this service alone (still <c>PENDING</c>, the
    /// event not yet applied), so outcomes of other services written meanwhile cannot make it fail (a failed
    /// conditional write still costs a write unit), and returns the item as written (<c>ALL_NEW</c>): when that shows
    /// another outcome raced in and no service is pending any more, <see cref="SettleAsync"/> settles the order in a
    /// second, idempotent Update. Either way the order is settled exactly once. A failed condition decides again from
    /// the returned old item (at most <see cref="ApplyAttempts"/> times). A service's status moves from
    /// <c>PENDING</c> to one final value, except that inventory may become <c>RELEASED</c> from any value; an
    /// <c>InventoryReserved</c> or <c>InventoryRejected</c> after <c>RELEASED</c>, the same event again, or the same
    /// final status again under another event id is a duplicate and writes nothing (<see cref="OutcomeRules.Decide"/>),
    /// except that a duplicate of an order left unsettled (a settle interrupted before its write) settles it.</remarks>
    /// <exception cref="InvalidOperationException">The order kept changing under every attempt.</exception>
    public async Task<ApplyOutcomeResult> ApplyOutcomeAsync(string orderId, string eventId, string service, string status, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(orderId);
        ArgumentException.ThrowIfNullOrEmpty(eventId);
        if (!TrackedServices.All.Contains(service))
        {
            throw new ArgumentException($"Unknown service '{service}'.", nameof(service));
        }

        var item = await GetItemAsync(OrderPrefix + orderId, cancellationToken);
        for (var attempt = 0; attempt < ApplyAttempts; attempt++)
        {
            if (item is null)
            {
                return new ApplyOutcomeResult(ApplyOutcomeStatus.OrderMissing);
            }

            var order = FromItem(item);
            var decision = OutcomeRules.Decide(order, eventId, service, status);
            if (decision != ApplyOutcomeStatus.Applied)
            {
                if (decision == ApplyOutcomeStatus.Duplicate && NeedsSettling(order))
                {
                    await SettleAsync(item, _time.GetUtcNow(), cancellationToken);
                }

                return new ApplyOutcomeResult(decision, order.CreatedAt);
            }

            var now = _time.GetUtcNow();
            try
            {
                if (SettlesOnApply(order, service, status))
                {
                    await _dynamo.UpdateItemAsync(OutcomeUpdate(order, eventId, service, status, now), cancellationToken);
                }
                else
                {
                    var written = await _dynamo.UpdateItemAsync(OwnOutcomeUpdate(order, eventId, service, status, now), cancellationToken);
                    if (written.Attributes is { Count: > 0 } after && NeedsSettling(FromItem(after)))
                    {
                        // Another service's outcome was written between the read and this write: this one came last.
                        await SettleAsync(after, now, cancellationToken);
                    }
                }

                return new ApplyOutcomeResult(ApplyOutcomeStatus.Applied, order.CreatedAt, now);
            }
            catch (ConditionalCheckFailedException ex)
            {
                // Another write changed what the decision was made from since the read: decide again from what it is now.
                item = ex.Item is { Count: > 0 } returned ? returned : await GetItemAsync(OrderPrefix + orderId, cancellationToken);
            }
        }

        throw new InvalidOperationException($"Order {orderId} changed under each of {ApplyAttempts} attempts to apply event {eventId}.");
    }

    /// <summary>True when applying <paramref name="service"/> → <paramref name="status"/> to <paramref name="order"/>
    /// as read settles something: no other service is pending (so <c>completedAt</c> and the markers are due), or it is
    /// an inventory <c>RELEASED</c> (which may end a cancellation).</summary>
    internal static bool SettlesOnApply(OrderRecord order, string service, string status) =>
        status == ServiceStatus.Released
        || TrackedServices.All.All(other => other == service || order.Statuses[other] != ServiceStatus.Pending);

    /// <summary>True when no service is pending but <c>completedAt</c> is not set yet.</summary>
    internal static bool NeedsSettling(OrderRecord order) =>
        order.CompletedAt is null && order.Statuses.Values.All(s => s != ServiceStatus.Pending);

    /// <summary>Settles an order whose last pending service's outcome was written without settling it: sets
    /// <c>completedAt</c> to <paramref name="at"/> and, with no lifecycle, removes the open-orders markers, on condition
    /// that <c>completedAt</c> is still absent and the lifecycle is still what <paramref name="item"/> shows (a
    /// cancellation that reopened the order keeps its markers). A lost condition decides again from the returned
    /// item; an order found settled already is left as it is.</summary>
    private async Task SettleAsync(Dictionary<string, AttributeValue> item, DateTimeOffset at, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < ApplyAttempts; attempt++)
        {
            var order = FromItem(item);
            if (!NeedsSettling(order))
            {
                return;
            }

            try
            {
                await _dynamo.UpdateItemAsync(SettleUpdate(order, at), cancellationToken);
                return;
            }
            catch (ConditionalCheckFailedException ex)
            {
                if (ex.Item is not { Count: > 0 } returned)
                {
                    return;
                }

                item = returned;
            }
        }

        throw new InvalidOperationException($"Order {FromItem(item).OrderId} changed under each of {ApplyAttempts} attempts to settle it.");
    }

    /// <summary>The Update that settles <paramref name="order"/> (<see cref="SettleAsync"/>).</summary>
    internal UpdateItemRequest SettleUpdate(OrderRecord order, DateTimeOffset at)
    {
        var names = new Dictionary<string, string> { ["#pk"] = FanoutTopology.PartitionKey };
        var values = new Dictionary<string, AttributeValue> { [":now"] = new() { S = Format(at) } };
        var condition = new List<string> { "attribute_exists(#pk)", "attribute_not_exists(completedAt)" };
        var update = "SET completedAt = :now";
        if (order.Lifecycle is { } lifecycle)
        {
            values[":lifecycle"] = new() { S = lifecycle };
            condition.Add("lifecycle = :lifecycle");
        }
        else
        {
            condition.Add("attribute_not_exists(lifecycle)");
            if (order.OpenSince is not null)
            {
                names["#shard"] = ReconcilerSpec.OpenShardAttribute;
                names["#since"] = ReconcilerSpec.OpenSinceAttribute;
                update += " REMOVE #shard, #since";
            }
        }

        return new UpdateItemRequest
        {
            TableName = _tableName,
            Key = Key(OrderPrefix + order.OrderId),
            UpdateExpression = update,
            ConditionExpression = string.Join(" AND ", condition),
            ExpressionAttributeNames = names,
            ExpressionAttributeValues = values,
            ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
        };
    }

    /// <summary>The Update that records an outcome which, as read, settles nothing: conditioned on this service alone
    /// (its status as read, the event not yet applied), returning the item as written (<c>ALL_NEW</c>).</summary>
    internal UpdateItemRequest OwnOutcomeUpdate(OrderRecord order, string eventId, string service, string status, DateTimeOffset now) =>
        new()
        {
            TableName = _tableName,
            Key = Key(OrderPrefix + order.OrderId),
            UpdateExpression = "SET #svc = :status, appliedAt.#svc = :now ADD appliedEvents :events",
            ConditionExpression = "attribute_exists(#pk) AND NOT contains(appliedEvents, :eventId) AND #svc = :was",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = FanoutTopology.PartitionKey, ["#svc"] = service },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue>
            {
                [":status"] = new() { S = status },
                [":was"] = new() { S = order.Statuses[service] },
                [":now"] = new() { S = Format(now) },
                [":events"] = new() { SS = [eventId] },
                [":eventId"] = new() { S = eventId },
            },
            ReturnValues = ReturnValue.ALL_NEW,
            ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
        };

    /// <summary>The single Update that applies an outcome <see cref="OutcomeRules.Decide"/> accepted, settling the
    /// order in the same write where the outcome settles it, pinned to every status and the lifecycle as read.</summary>
    internal UpdateItemRequest OutcomeUpdate(OrderRecord order, string eventId, string service, string status, DateTimeOffset now)
    {
        var after = new Dictionary<string, string>(order.Statuses) { [service] = status };
        var names = new Dictionary<string, string> { ["#pk"] = FanoutTopology.PartitionKey, ["#svc"] = service };
        var values = new Dictionary<string, AttributeValue>
        {
            [":status"] = new() { S = status },
            [":was"] = new() { S = order.Statuses[service] },
            [":now"] = new() { S = Format(now) },
            [":events"] = new() { SS = [eventId] },
            [":eventId"] = new() { S = eventId },
        };
        var set = new List<string> { "#svc = :status", "appliedAt.#svc = :now" };
        var condition = new List<string> { "attribute_exists(#pk)", "NOT contains(appliedEvents, :eventId)", "#svc = :was" };
        var settles = after.Values.All(s => s != ServiceStatus.Pending);
        var others = new List<string>();
        foreach (var other in TrackedServices.All)
        {
            if (other == service)
            {
                continue;
            }

            var name = "#o" + (others.Count + 1);
            names[name] = other;
            others.Add(name);
            if (settles)
            {
                values[":o" + others.Count] = new() { S = order.Statuses[other] };
                condition.Add($"{name} = :o{others.Count}");
            }
        }

        if (!settles)
        {
            // Nothing in this write depends on the other services beyond "one of them is still pending": outcomes of
            // two services applied at once then both succeed, and only the write that settles the order pins them all.
            values[":pending"] = new() { S = ServiceStatus.Pending };
            condition.Add("(" + string.Join(" OR ", others.Select(o => o + " = :pending")) + ")");
        }

        if (order.Lifecycle is { } lifecycle)
        {
            values[":lifecycle"] = new() { S = lifecycle };
            condition.Add("lifecycle = :lifecycle");
        }
        else
        {
            condition.Add("attribute_not_exists(lifecycle)");
        }

        if (settles && order.CompletedAt is null)
        {
            // Pinned absent, so a settle that raced in (SettleAsync) makes this write decide again, not set it twice.
            set.Add("completedAt = :now");
            condition.Add("attribute_not_exists(completedAt)");
        }

        var cancelled = order.Lifecycle == OrderStatuses.Cancelling && service == TrackedServices.Inventory && status == ServiceStatus.Released;
        if (cancelled)
        {
            values[":cancelled"] = new() { S = OrderStatuses.Cancelled };
            set.Add("lifecycle = :cancelled");
        }

        var update = "SET " + string.Join(", ", set) + " ADD appliedEvents :events";
        if (order.OpenSince is not null && (cancelled || (order.Lifecycle is null && settles)))
        {
            names["#shard"] = ReconcilerSpec.OpenShardAttribute;
            names["#since"] = ReconcilerSpec.OpenSinceAttribute;
            update += " REMOVE #shard, #since";
        }

        return new UpdateItemRequest
        {
            TableName = _tableName,
            Key = Key(OrderPrefix + order.OrderId),
            UpdateExpression = update,
            ConditionExpression = string.Join(" AND ", condition),
            ExpressionAttributeNames = names,
            ExpressionAttributeValues = values,
            ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
        };
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
        return new OpenOrder(order.OrderId, status, since, new OutgoingEvent(envelope.Id!, envelope.Type!, envelope.CorrelationId!, json), order.OwesPlaced);
    }

    private async Task<Dictionary<string, AttributeValue>?> GetItemAsync(string pk, CancellationToken cancellationToken)
    {
        var response = await _dynamo.GetItemAsync(new GetItemRequest { TableName = _tableName, Key = Key(pk), ConsistentRead = true }, cancellationToken);
        return response.Item is { Count: > 0 } item ? item : null;
    }

    /// <summary>The order item of a new order (every service pending, an empty <c>appliedAt</c> map for the
    /// outcome updates to set members of); the open-orders markers are added by the caller.</summary>
    internal static Dictionary<string, AttributeValue> ToItem(OrderRecord order)
    {
        var item = new Dictionary<string, AttributeValue>
        {
            [FanoutTopology.PartitionKey] = new() { S = OrderPrefix + order.OrderId },
            ["orderId"] = new() { S = order.OrderId },
            ["data"] = new() { S = OrderPlacedEvents.DataJson(OrderPlacedEvents.DataOf(order.EventJson)) },
            ["correlationId"] = new() { S = order.CorrelationId },
            ["requestHash"] = new() { S = order.RequestHash },
            ["createdAt"] = new() { S = Format(order.CreatedAt) },
            ["appliedAt"] = new() { M = [], IsMSet = true },
        };
        foreach (var service in TrackedServices.All)
        {
            item[service] = new AttributeValue { S = order.Statuses.TryGetValue(service, out var s) ? s : ServiceStatus.Pending };
        }

        return item;
    }

    /// <summary>The order an <c>ORDER#</c> item holds, its <c>OrderPlaced</c> envelope rebuilt from <c>data</c>.</summary>
    internal static OrderRecord FromItem(Dictionary<string, AttributeValue> item)
    {
        var statuses = new Dictionary<string, string>(TrackedServices.All.Count);
        foreach (var service in TrackedServices.All)
        {
            statuses[service] = item.TryGetValue(service, out var s) ? s.S : ServiceStatus.Pending;
        }

        var createdAt = ParseTime(item["createdAt"].S);
        var correlationId = item["correlationId"].S;
        var appliedAt = new Dictionary<string, DateTimeOffset>();
        if (item.TryGetValue("appliedAt", out var applied) && applied.M is { } times)
        {
            foreach (var (service, at) in times)
            {
                appliedAt[service] = ParseTime(at.S);
            }
        }

        return new OrderRecord(
            item["orderId"].S,
            OrderPlacedEvents.Create(OrderPlacedEvents.FromDataJson(item["data"].S), correlationId, createdAt).Json,
            correlationId,
            item["requestHash"].S,
            createdAt,
            statuses)
        {
            Lifecycle = item.TryGetValue("lifecycle", out var lifecycle) ? lifecycle.S : null,
            CancelEventJson = item.TryGetValue("cancelEventJson", out var cancel) ? cancel.S : null,
            OpenSince = item.TryGetValue(ReconcilerSpec.OpenSinceAttribute, out var since) ? ParseTime(since.S) : null,
            AppliedAt = appliedAt,
            CompletedAt = item.TryGetValue("completedAt", out var completed) ? ParseTime(completed.S) : null,
            AppliedEvents = item.TryGetValue("appliedEvents", out var events) && events.SS is { } ids ? ids.ToHashSet(StringComparer.Ordinal) : new HashSet<string>(StringComparer.Ordinal),
        };
    }

    private static DateTimeOffset ParseTime(string text) =>
        DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    private static string Format(DateTimeOffset value) => value.ToString("O", CultureInfo.InvariantCulture);

    private static Dictionary<string, AttributeValue> Key(string pk) => new() { [FanoutTopology.PartitionKey] = new AttributeValue { S = pk } };
}

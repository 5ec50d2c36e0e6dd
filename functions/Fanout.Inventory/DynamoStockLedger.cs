using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.Inventory.Core;
using Polly;
using Polly.Retry;

namespace Fanout.Inventory;

/// <summary>Stock, and what inventory did for each order, in the inventory table.</summary>
/// <remarks>
/// Items (partition key <c>pk</c>):
/// <list type="bullet">
/// <item><c>SKU#&lt;sku&gt;</c>: <c>available</c> (number), <c>updatedAt</c>.</item>
/// <item><c>ORDER#&lt;orderId&gt;</c>: everything inventory recorded for one order, in one item so that a reservation
/// is a two-item transaction for a one-line order (the item and the SKU's decrement: 4 write units by AWS's rules for
/// transactions, where four items cost 8).
/// <c>state</c>: <c>RESERVED</c>, <c>REJECTED</c>, <c>CANCELLED</c> (cancelled holding nothing) or <c>RELEASED</c>
/// (cancelled, its reservation given back).
/// <c>placedEventId</c>, <c>placedHash</c>, <c>placedResult</c>: the <c>OrderPlaced</c> event handled, the SHA-256 of
/// its <c>data</c>, and the fact published for it (empty when none was: the order was cancelled first; emptied when
/// the order is cancelled, since inventory's last word on it is then <c>InventoryReleased</c>, so a redelivered
/// <c>OrderPlaced</c> publishes nothing, and the item never holds two envelopes).
/// <c>lines</c>: what the order holds or held (a list of maps <c>{sku, quantity}</c>), only once reserved.
/// <c>cancelEventId</c>, <c>cancelHash</c>, <c>cancelResult</c>: the same for the <c>OrderCancelled</c> event.
/// <c>reservedAt</c>, <c>rejectedAt</c>, <c>cancelledAt</c>, <c>releasedAt</c>, <c>placedRecordedAt</c> (RFC 3339 UTC).
/// An item without <c>placedEventId</c> is a cancellation's tombstone: the reservation and the rejection create the
/// item only if it is absent (<c>attribute_not_exists</c>), so a reservation and a tombstone exclude each other, and
/// a failed condition returns the item (<c>ReturnValuesOnConditionCheckFailure</c> <c>ALL_OLD</c>) to tell a
/// redelivery (same event id) from a late <c>OrderPlaced</c> (a tombstone) and from poison (another payload or
/// another event id for the order; an order's event ids are derived from it, <c>EventIds.For</c>).</item>
/// </list>
/// Order items do not expire: an order may be cancelled, or its OrderPlaced redelivered, at any time. An item holds
/// one published envelope and the lines; for an order of a few lines it stays under 1 KB (one write unit, two inside
/// a transaction).
/// See "Capacity unit consumption for writes" and "Transactions" in the Amazon DynamoDB Developer Guide.
/// </remarks>
public sealed class DynamoStockLedger : IStockLedger
{
    public const string SkuPrefix = "SKU#";
    public const string OrderPrefix = "ORDER#";

    public const string StatusReserved = "RESERVED";
    public const string StatusRejected = "REJECTED";
    public const string StatusCancelled = "CANCELLED";
    public const string StatusReleased = "RELEASED";

    /// <summary>Attempts of a write that keeps conflicting with concurrent ones (or, for a release, finds the order
    /// item it read changed).</summary>
    public const int MaxConflictAttempts = 8;

    /// <summary>First backoff after a conflict; doubles per attempt with jitter, capped at <see cref="MaxConflictDelay"/>.</summary>
    public static readonly TimeSpan ConflictBaseDelay = TimeSpan.FromMilliseconds(25);

    public static readonly TimeSpan MaxConflictDelay = TimeSpan.FromMilliseconds(800);

    private const string ConditionalCheckFailed = "ConditionalCheckFailed";

    private readonly IAmazonDynamoDB _dynamo;
    private readonly string _tableName;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline _conflictRetry;

    public DynamoStockLedger(IAmazonDynamoDB dynamo, string tableName, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        ArgumentException.ThrowIfNullOrWhiteSpace(tableName);
        ArgumentNullException.ThrowIfNull(time);
        _dynamo = dynamo;
        _tableName = tableName;
        _time = time;
        // Only conflicts (and a release's stale read) escape an attempt: a failed condition is otherwise an answer.
        _conflictRetry = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<TransactionCanceledException>().Handle<StaleReadException>(),
                MaxRetryAttempts = MaxConflictAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = ConflictBaseDelay,
                MaxDelay = MaxConflictDelay,
            })
            .Build();
    }

    public async Task<ReservationResult> TryReserveAsync(string eventId, string orderId, string payloadHash, IReadOnlyList<StockLine> lines, string reservedOutcomeJson, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var now = Now();
        var item = PlacedItem(eventId, orderId, payloadHash, reservedOutcomeJson, StatusReserved, "reservedAt", now);
        item["lines"] = new AttributeValue { L = [.. lines.Select(ToAttribute)] };
        var items = new List<TransactWriteItem>(lines.Count + 1) { new() { Put = CreateOnly(item) } };
        foreach (var line in lines)
        {
            items.Add(new TransactWriteItem { Update = StockUpdate(line, "available - :qty", "attribute_exists(#pk) AND available >= :qty", now) });
        }

        var request = new TransactWriteItemsRequest { TransactItems = items };
        var (result, tombstone) = await _conflictRetry.ExecuteAsync(
            static (state, ct) => new ValueTask<(ReservationResult, bool)>(state.Ledger.TryReserveOnceAsync(state.Request, state.EventId, state.OrderId, state.PayloadHash, state.Lines, ct)),
            (Ledger: this, Request: request, EventId: eventId, OrderId: orderId, PayloadHash: payloadHash, Lines: lines),
            cancellationToken);
        if (!tombstone)
        {
            return result;
        }

        var existing = await TryRecordLatePlacedAsync(eventId, orderId, payloadHash, cancellationToken);
        return existing is null ? result : new ReservationResult(ReservationStatus.AlreadyHandled, [], existing);
    }

    /// <summary>One attempt: the reservation's outcome (and whether the order item found is a tombstone), or the
    /// <see cref="TransactionCanceledException"/> of a cancellation that names none of this transaction's conditions
    /// (a conflict with a concurrent one).</summary>
    private async Task<(ReservationResult Result, bool Tombstone)> TryReserveOnceAsync(TransactWriteItemsRequest request, string eventId, string orderId, string payloadHash, IReadOnlyList<StockLine> lines, CancellationToken cancellationToken)
    {
        try
        {
            await _dynamo.TransactWriteItemsAsync(request, cancellationToken);
            return (new ReservationResult(ReservationStatus.Reserved, [], null), false);
        }
        catch (TransactionCanceledException ex)
        {
            var reasons = ex.CancellationReasons ?? [];
            if (Failed(reasons, 0))
            {
                var order = reasons[0].Item is { Count: > 0 } old ? old : await ReadOrderAsync(orderId, cancellationToken);
                if (order is not null)
                {
                    var existing = PlacedOutcome(order, eventId, orderId);
                    return existing is null
                        ? (new ReservationResult(ReservationStatus.Cancelled, [], null), true)
                        : (new ReservationResult(ReservationStatus.AlreadyHandled, [], existing), false);
                }
            }

            var unavailable = new List<string>();
            for (var i = 0; i < lines.Count; i++)
            {
                if (Failed(reasons, i + 1))
                {
                    unavailable.Add(lines[i].Sku);
                }
            }

            if (unavailable.Count > 0)
            {
                return (new ReservationResult(ReservationStatus.Insufficient, unavailable, null), false);
            }

            // Concurrent transactions on the same items conflict; DynamoDB expects the caller to retry.
            throw;
        }
    }

    public async Task<RecordedOutcome?> TryRecordRejectionAsync(string eventId, string orderId, string payloadHash, string rejectedOutcomeJson, CancellationToken cancellationToken)
    {
        try
        {
            var put = CreateOnly(PlacedItem(eventId, orderId, payloadHash, rejectedOutcomeJson, StatusRejected, "rejectedAt", Now()));
            await _dynamo.PutItemAsync(
                new PutItemRequest
                {
                    TableName = put.TableName,
                    Item = put.Item,
                    ConditionExpression = put.ConditionExpression,
                    ExpressionAttributeNames = put.ExpressionAttributeNames,
                    ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
                },
                cancellationToken);
            return null;
        }
        catch (ConditionalCheckFailedException ex)
        {
            var order = ex.Item is { Count: > 0 } old ? old : await ReadOrderAsync(orderId, cancellationToken)
                ?? throw new InvalidOperationException($"Order {orderId} has an inventory record that cannot be read.", ex);
            // The order was cancelled while its stock was being checked: its last word was InventoryReleased.
            return PlacedOutcome(order, eventId, orderId)
                ?? await TryRecordLatePlacedAsync(eventId, orderId, payloadHash, cancellationToken)
                ?? new RecordedOutcome(payloadHash, RecordedOutcome.NoFact);
        }
    }

    /// <summary>Records an <c>OrderPlaced</c> that found its order's tombstone, with no fact, unless an
    /// <c>OrderPlaced</c> is recorded meanwhile; returns that one's outcome, or null when this one was recorded.</summary>
    private async Task<RecordedOutcome?> TryRecordLatePlacedAsync(string eventId, string orderId, string payloadHash, CancellationToken cancellationToken)
    {
        try
        {
            await _dynamo.UpdateItemAsync(
                new UpdateItemRequest
                {
                    TableName = _tableName,
                    Key = Key(OrderPrefix + orderId),
                    UpdateExpression = "SET placedEventId = :event, placedHash = :hash, placedResult = :result, placedRecordedAt = :now",
                    ConditionExpression = "attribute_exists(#pk) AND attribute_not_exists(placedEventId)",
                    ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = FanoutTopology.PartitionKey },
                    ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                    {
                        [":event"] = new() { S = eventId },
                        [":hash"] = new() { S = payloadHash },
                        [":result"] = new() { S = RecordedOutcome.NoFact },
                        [":now"] = new() { S = Now() },
                    },
                    ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
                },
                cancellationToken);
            return null;
        }
        catch (ConditionalCheckFailedException ex)
        {
            var order = ex.Item is { Count: > 0 } old ? old : await ReadOrderAsync(orderId, cancellationToken);
            return (order is null ? null : PlacedOutcome(order, eventId, orderId))
                ?? throw new InvalidOperationException($"Order {orderId}'s inventory record changed in a way no writer makes.", ex);
        }
    }

    public async Task<ReleaseResult> TryReleaseAsync(string eventId, string orderId, string payloadHash, Func<IReadOnlyList<StockLine>, string> releasedOutcomeJson, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(releasedOutcomeJson);
        return await _conflictRetry.ExecuteAsync(
            static (state, ct) => new ValueTask<ReleaseResult>(state.Ledger.TryReleaseOnceAsync(state.EventId, state.OrderId, state.PayloadHash, state.Render, ct)),
            (Ledger: this, EventId: eventId, OrderId: orderId, PayloadHash: payloadHash, Render: releasedOutcomeJson),
            cancellationToken);
    }

    /// <summary>One attempt: reads the order item, then records the cancellation conditioned on what was read, with
    /// the stock given back in the same transaction when it held a reservation. An item that changed in between (the
    /// order's reservation or rejection committed first) fails the condition, rethrown for a retry that reads again.</summary>
    private async Task<ReleaseResult> TryReleaseOnceAsync(string eventId, string orderId, string payloadHash, Func<IReadOnlyList<StockLine>, string> render, CancellationToken cancellationToken)
    {
        var order = await ReadOrderAsync(orderId, cancellationToken);
        if (order is not null && order.TryGetValue("cancelEventId", out var recordedEvent))
        {
            if (!string.Equals(recordedEvent.S, eventId, StringComparison.Ordinal))
            {
                throw new PoisonMessageException($"Order {orderId} was cancelled by event {recordedEvent.S}; event {eventId} cancels it again.");
            }

            return new ReleaseResult(ReleaseStatus.AlreadyHandled, [], new RecordedOutcome(order["cancelHash"].S, order["cancelResult"].S));
        }

        var state = order is not null && order.TryGetValue("state", out var s) ? s.S : null;
        var releasing = state == StatusReserved ? ReadLines(order!) : [];
        var json = render(releasing);
        var now = Now();
        var values = new Dictionary<string, AttributeValue>
        {
            [":order"] = new() { S = orderId },
            [":state"] = new() { S = state == StatusReserved ? StatusReleased : StatusCancelled },
            [":event"] = new() { S = eventId },
            [":hash"] = new() { S = payloadHash },
            [":result"] = new() { S = json },
            [":now"] = new() { S = now },
        };
        var names = new Dictionary<string, string> { ["#state"] = "state" };
        string condition;
        if (state is null)
        {
            condition = "attribute_not_exists(#pk)";
            names["#pk"] = FanoutTopology.PartitionKey;
        }
        else
        {
            condition = "#state = :read AND attribute_not_exists(cancelEventId)";
            values[":read"] = new() { S = state };
            values[":none"] = new() { S = RecordedOutcome.NoFact };
        }

        var update = new Update
        {
            TableName = _tableName,
            Key = Key(OrderPrefix + orderId),
            // The OrderPlaced's fact is dropped: from now on the order's last word is InventoryReleased, and the item
            // holds one envelope, not two (under 1 KB).
            UpdateExpression = $"SET orderId = :order, #state = :state, cancelEventId = :event, cancelHash = :hash, cancelResult = :result, {(state == StatusReserved ? "releasedAt" : "cancelledAt")} = :now{(state is null ? "" : ", placedResult = :none")}",
            ConditionExpression = condition,
            ExpressionAttributeNames = names,
            ExpressionAttributeValues = values,
        };
        if (state != StatusReserved)
        {
            // Nothing held: one conditional write, the tombstone (or the rejection's cancellation).
            try
            {
                await _dynamo.UpdateItemAsync(
                    new UpdateItemRequest
                    {
                        TableName = update.TableName,
                        Key = update.Key,
                        UpdateExpression = update.UpdateExpression,
                        ConditionExpression = update.ConditionExpression,
                        ExpressionAttributeNames = update.ExpressionAttributeNames,
                        ExpressionAttributeValues = update.ExpressionAttributeValues,
                    },
                    cancellationToken);
            }
            catch (ConditionalCheckFailedException ex)
            {
                throw new StaleReadException($"Order {orderId}'s inventory record changed after it was read.", ex);
            }

            return new ReleaseResult(ReleaseStatus.Released, [], new RecordedOutcome(payloadHash, json));
        }

        var items = new List<TransactWriteItem>(releasing.Count + 1) { new() { Update = update } };
        foreach (var line in releasing)
        {
            // Unconditional: stock given back is never refused (a SKU deleted meanwhile comes back with these units).
            items.Add(new TransactWriteItem { Update = StockUpdate(line, "if_not_exists(available, :zero) + :qty", null, now) });
        }

        // A failed condition on the order item (it changed since the read) cancels the transaction: retried.
        await _dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest { TransactItems = items }, cancellationToken);
        return new ReleaseResult(ReleaseStatus.Released, releasing, new RecordedOutcome(payloadHash, json));
    }

    private Update StockUpdate(StockLine line, string newValue, string? condition, string now)
    {
        var values = new Dictionary<string, AttributeValue>
        {
            [":qty"] = new() { N = line.Quantity.ToString(CultureInfo.InvariantCulture) },
            [":now"] = new() { S = now },
        };
        if (condition is null)
        {
            values[":zero"] = new() { N = "0" };
        }

        return new Update
        {
            TableName = _tableName,
            Key = Key(SkuPrefix + line.Sku),
            UpdateExpression = $"SET available = {newValue}, updatedAt = :now",
            // Never below zero: the decrement applies only while enough units remain.
            ConditionExpression = condition,
            ExpressionAttributeNames = condition is null ? null : new Dictionary<string, string> { ["#pk"] = FanoutTopology.PartitionKey },
            ExpressionAttributeValues = values,
        };
    }

    private static Dictionary<string, AttributeValue> PlacedItem(string eventId, string orderId, string payloadHash, string json, string state, string timeAttribute, string now) => new()
    {
        [FanoutTopology.PartitionKey] = new() { S = OrderPrefix + orderId },
        ["orderId"] = new() { S = orderId },
        ["state"] = new() { S = state },
        ["placedEventId"] = new() { S = eventId },
        ["placedHash"] = new() { S = payloadHash },
        ["placedResult"] = new() { S = json },
        [timeAttribute] = new() { S = now },
    };

    /// <summary>A put of the order item only if it is absent; a failed condition returns the item found.</summary>
    private Put CreateOnly(Dictionary<string, AttributeValue> item) => new()
    {
        TableName = _tableName,
        Item = item,
        ConditionExpression = "attribute_not_exists(#pk)",
        ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = FanoutTopology.PartitionKey },
        ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
    };

    /// <summary>What an existing order item recorded for <paramref name="eventId"/>: its outcome when the same event
    /// was handled (the caller compares payload hashes), null when the item is a tombstone (no <c>OrderPlaced</c>
    /// recorded).</summary>
    /// <exception cref="PoisonMessageException">Another <c>OrderPlaced</c> event was recorded for the order.</exception>
    private static RecordedOutcome? PlacedOutcome(Dictionary<string, AttributeValue> order, string eventId, string orderId)
    {
        if (!order.TryGetValue("placedEventId", out var recorded))
        {
            return null;
        }

        return string.Equals(recorded.S, eventId, StringComparison.Ordinal)
            ? new RecordedOutcome(order["placedHash"].S, order["placedResult"].S)
            : throw new PoisonMessageException($"Order {orderId} was placed by event {recorded.S}; event {eventId} places it again.");
    }

    private async Task<Dictionary<string, AttributeValue>?> ReadOrderAsync(string orderId, CancellationToken cancellationToken)
    {
        var response = await _dynamo.GetItemAsync(
            new GetItemRequest { TableName = _tableName, Key = Key(OrderPrefix + orderId), ConsistentRead = true },
            cancellationToken);
        return response.Item is { Count: > 0 } item ? item : null;
    }

    private string Now() => _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);

    private static bool Failed(List<CancellationReason>? reasons, int index) =>
        reasons is not null && index < reasons.Count && reasons[index].Code == ConditionalCheckFailed;

    private static AttributeValue ToAttribute(StockLine line) => new()
    {
        M = new Dictionary<string, AttributeValue>
        {
            ["sku"] = new() { S = line.Sku },
            ["quantity"] = new() { N = line.Quantity.ToString(CultureInfo.InvariantCulture) },
        },
    };

    private static List<StockLine> ReadLines(Dictionary<string, AttributeValue> order) =>
        order.TryGetValue("lines", out var lines) && lines.L is { } list
            ? [.. list.Select(l => new StockLine(l.M["sku"].S, int.Parse(l.M["quantity"].N, CultureInfo.InvariantCulture)))]
            : [];

    private static Dictionary<string, AttributeValue> Key(string pk) => new() { [FanoutTopology.PartitionKey] = new AttributeValue { S = pk } };

    /// <summary>A release's conditional write found the order item changed since it was read: read again.</summary>
    private sealed class StaleReadException(string message, Exception inner) : Exception(message, inner);
}

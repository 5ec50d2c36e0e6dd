using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Fanout.Contracts.Topology;
using Fanout.Inventory.Core;
using Polly;
using Polly.Retry;

namespace Fanout.Inventory;

/// <summary>Stock, reservations and idempotency records in the inventory table.</summary>
/// <remarks>
/// Items (partition key <c>pk</c>):
/// <list type="bullet">
/// <item><c>SKU#&lt;sku&gt;</c>: <c>available</c> (number), <c>updatedAt</c>.</item>
/// <item><c>EVENT#&lt;eventId&gt;</c>: each handled event, its <c>payloadHash</c>, <c>outcome</c> (RESERVED, REJECTED,
/// RELEASED or CANCELLED) and the fact published (<c>result</c>, empty when none was); expires after the retention.</item>
/// <item><c>RESERVATION#&lt;orderId&gt;</c>: what an order holds: <c>status</c> RESERVED or RELEASED, <c>lines</c> (a list of
/// maps <c>{sku, quantity}</c>), <c>reservedAt</c>, <c>releasedAt</c>. Written in the reservation's transaction.</item>
/// <item><c>CANCELLED#&lt;orderId&gt;</c>: the tombstone a cancellation leaves, <c>cancelledAt</c> and <c>eventId</c>. A
/// reservation transaction checks it is absent, and a release transaction checks the reservation it read is
/// unchanged (or still absent), so DynamoDB's serializable transactions let only one of the two orders win.</item>
/// </list>
/// Reservations and tombstones do not expire: an order may be cancelled, or its OrderPlaced redelivered, at any time.
/// </remarks>
public sealed class DynamoStockLedger : IStockLedger
{
    public const string SkuPrefix = "SKU#";
    public const string EventPrefix = "EVENT#";
    public const string ReservationPrefix = "RESERVATION#";
    public const string TombstonePrefix = "CANCELLED#";

    public const string StatusReserved = "RESERVED";
    public const string StatusReleased = "RELEASED";

    /// <summary>Attempts of a transaction that keeps conflicting with concurrent ones (or, for a release, finds the
    /// reservation it read changed).</summary>
    public const int MaxConflictAttempts = 8;

    /// <summary>First backoff after a conflict; doubles per attempt with jitter, capped at <see cref="MaxConflictDelay"/>.</summary>
    public static readonly TimeSpan ConflictBaseDelay = TimeSpan.FromMilliseconds(25);

    public static readonly TimeSpan MaxConflictDelay = TimeSpan.FromMilliseconds(800);

    private const string ConditionalCheckFailed = "ConditionalCheckFailed";

    private readonly IAmazonDynamoDB _dynamo;
    private readonly string _tableName;
    private readonly TimeSpan _retention;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline _conflictRetry;

    public DynamoStockLedger(IAmazonDynamoDB dynamo, string tableName, TimeSpan retention, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        ArgumentException.ThrowIfNullOrWhiteSpace(tableName);
        ArgumentNullException.ThrowIfNull(time);
        _dynamo = dynamo;
        _tableName = tableName;
        _retention = retention;
        _time = time;
        // Only conflicts escape an attempt as TransactionCanceledException: a failed condition is an answer.
        _conflictRetry = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<TransactionCanceledException>(),
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
        var items = new List<TransactWriteItem>(lines.Count + 3)
        {
            new() { Put = OutcomePut(eventId, orderId, payloadHash, "RESERVED", reservedOutcomeJson) },
            new() { ConditionCheck = Absent(TombstonePrefix + orderId) },
            new()
            {
                Put = new Put
                {
                    TableName = _tableName,
                    Item = new Dictionary<string, AttributeValue>
                    {
                        [FanoutTopology.PartitionKey] = new() { S = ReservationPrefix + orderId },
                        ["orderId"] = new() { S = orderId },
                        ["status"] = new() { S = StatusReserved },
                        ["lines"] = new() { L = [.. lines.Select(ToAttribute)] },
                        ["reservedAt"] = new() { S = now },
                    },
                },
            },
        };
        foreach (var line in lines)
        {
            items.Add(new TransactWriteItem { Update = StockUpdate(line, "available - :qty", "attribute_exists(#pk) AND available >= :qty", now) });
        }

        var request = new TransactWriteItemsRequest { TransactItems = items };
        var result = await _conflictRetry.ExecuteAsync(
            static (state, ct) => new ValueTask<ReservationResult>(state.Ledger.TryReserveOnceAsync(state.Request, state.EventId, state.Lines, ct)),
            (Ledger: this, Request: request, EventId: eventId, Lines: lines),
            cancellationToken);
        if (result.Status != ReservationStatus.Cancelled)
        {
            return result;
        }

        var existing = await TryPutOutcomeAsync(OutcomePut(eventId, orderId, payloadHash, "CANCELLED", RecordedOutcome.NoFact), cancellationToken);
        return existing is null ? result : new ReservationResult(ReservationStatus.AlreadyHandled, [], existing);
    }

    /// <summary>One attempt: the reservation's outcome, or the <see cref="TransactionCanceledException"/> of a
    /// cancellation that names none of this transaction's conditions (a conflict with a concurrent one).</summary>
    private async Task<ReservationResult> TryReserveOnceAsync(TransactWriteItemsRequest request, string eventId, IReadOnlyList<StockLine> lines, CancellationToken cancellationToken)
    {
        try
        {
            await _dynamo.TransactWriteItemsAsync(request, cancellationToken);
            return new ReservationResult(ReservationStatus.Reserved, [], null);
        }
        catch (TransactionCanceledException ex)
        {
            var reasons = ex.CancellationReasons ?? [];
            if (Failed(reasons, 0))
            {
                var existing = ToOutcome(reasons[0].Item) ?? await ReadOutcomeAsync(eventId, cancellationToken);
                if (existing is not null)
                {
                    return new ReservationResult(ReservationStatus.AlreadyHandled, [], existing);
                }
            }

            if (Failed(reasons, 1))
            {
                return new ReservationResult(ReservationStatus.Cancelled, [], null);
            }

            var unavailable = new List<string>();
            for (var i = 0; i < lines.Count; i++)
            {
                if (Failed(reasons, i + 3))
                {
                    unavailable.Add(lines[i].Sku);
                }
            }

            if (unavailable.Count > 0)
            {
                return new ReservationResult(ReservationStatus.Insufficient, unavailable, null);
            }

            // Concurrent transactions on the same SKUs conflict; DynamoDB expects the caller to retry.
            throw;
        }
    }

    public async Task<RecordedOutcome?> TryRecordRejectionAsync(string eventId, string orderId, string payloadHash, string rejectedOutcomeJson, CancellationToken cancellationToken)
    {
        var request = new TransactWriteItemsRequest
        {
            TransactItems =
            [
                new() { Put = OutcomePut(eventId, orderId, payloadHash, "REJECTED", rejectedOutcomeJson) },
                new() { ConditionCheck = Absent(TombstonePrefix + orderId) },
            ],
        };
        var cancelled = await _conflictRetry.ExecuteAsync(
            static (state, ct) => new ValueTask<(RecordedOutcome? Existing, bool Cancelled)>(state.Ledger.TryRejectOnceAsync(state.Request, state.EventId, ct)),
            (Ledger: this, Request: request, EventId: eventId),
            cancellationToken);
        if (!cancelled.Cancelled)
        {
            return cancelled.Existing;
        }

        // The order was cancelled while its stock was being checked: its last word was InventoryReleased.
        return await TryPutOutcomeAsync(OutcomePut(eventId, orderId, payloadHash, "CANCELLED", RecordedOutcome.NoFact), cancellationToken)
            ?? new RecordedOutcome(payloadHash, RecordedOutcome.NoFact);
    }

    /// <summary>One attempt: (null, false) when recorded; (the existing outcome, false) when the event was handled
    /// before; (null, true) when the order's tombstone exists. A conflict escapes for a retry.</summary>
    private async Task<(RecordedOutcome? Existing, bool Cancelled)> TryRejectOnceAsync(TransactWriteItemsRequest request, string eventId, CancellationToken cancellationToken)
    {
        try
        {
            await _dynamo.TransactWriteItemsAsync(request, cancellationToken);
            return (null, false);
        }
        catch (TransactionCanceledException ex) when (Failed(ex.CancellationReasons, 0) || Failed(ex.CancellationReasons, 1))
        {
            var existing = Failed(ex.CancellationReasons, 0)
                ? ToOutcome(ex.CancellationReasons![0].Item) ?? await ReadOutcomeAsync(eventId, cancellationToken)
                : null;
            return existing is not null ? (existing, false) : (null, true);
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

    /// <summary>One attempt: reads the reservation, then releases it in one transaction conditioned on what was read.
    /// A reservation that changed in between (the order's reservation committed first) cancels the transaction with a
    /// failed condition on item 2, rethrown so the retry reads again.</summary>
    private async Task<ReleaseResult> TryReleaseOnceAsync(string eventId, string orderId, string payloadHash, Func<IReadOnlyList<StockLine>, string> render, CancellationToken cancellationToken)
    {
        var reservation = (await _dynamo.GetItemAsync(
            new GetItemRequest { TableName = _tableName, Key = Key(ReservationPrefix + orderId), ConsistentRead = true },
            cancellationToken)).Item;
        var status = reservation is { Count: > 0 } && reservation.TryGetValue("status", out var s) ? s.S : null;
        var held = status is null ? [] : ReadLines(reservation!);
        var releasing = status == StatusReserved ? held : [];

        // A release found already done (its event record expired) re-states the same lines, so the fact is the same.
        var json = render(status == StatusReleased ? held : releasing);
        var now = Now();
        var items = new List<TransactWriteItem>(releasing.Count + 3)
        {
            new() { Put = OutcomePut(eventId, orderId, payloadHash, "RELEASED", json) },
            new()
            {
                // Put if absent without failing when present: the first cancellation's time and event stay.
                Update = new Update
                {
                    TableName = _tableName,
                    Key = Key(TombstonePrefix + orderId),
                    UpdateExpression = "SET orderId = :order, cancelledAt = if_not_exists(cancelledAt, :now), eventId = if_not_exists(eventId, :event)",
                    ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                    {
                        [":order"] = new() { S = orderId },
                        [":now"] = new() { S = now },
                        [":event"] = new() { S = eventId },
                    },
                },
            },
            status switch
            {
                null => new() { ConditionCheck = Absent(ReservationPrefix + orderId) },
                StatusReserved => new()
                {
                    Update = new Update
                    {
                        TableName = _tableName,
                        Key = Key(ReservationPrefix + orderId),
                        UpdateExpression = "SET #status = :released, releasedAt = :now",
                        ConditionExpression = "#status = :reserved",
                        ExpressionAttributeNames = new Dictionary<string, string> { ["#status"] = "status" },
                        ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                        {
                            [":released"] = new() { S = StatusReleased },
                            [":reserved"] = new() { S = StatusReserved },
                            [":now"] = new() { S = now },
                        },
                    },
                },
                _ => new()
                {
                    ConditionCheck = new ConditionCheck
                    {
                        TableName = _tableName,
                        Key = Key(ReservationPrefix + orderId),
                        ConditionExpression = "#status = :status",
                        ExpressionAttributeNames = new Dictionary<string, string> { ["#status"] = "status" },
                        ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":status"] = new() { S = status } },
                    },
                },
            },
        };
        foreach (var line in releasing)
        {
            // Unconditional: stock given back is never refused (a SKU deleted meanwhile comes back with these units).
            items.Add(new TransactWriteItem { Update = StockUpdate(line, "if_not_exists(available, :zero) + :qty", null, now) });
        }

        try
        {
            await _dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest { TransactItems = items }, cancellationToken);
            return new ReleaseResult(ReleaseStatus.Released, releasing, new RecordedOutcome(payloadHash, json));
        }
        catch (TransactionCanceledException ex) when (Failed(ex.CancellationReasons, 0))
        {
            var existing = ToOutcome(ex.CancellationReasons![0].Item) ?? await ReadOutcomeAsync(eventId, cancellationToken)
                ?? throw new InvalidOperationException($"Event {eventId} has an outcome record that cannot be read.", ex);
            return new ReleaseResult(ReleaseStatus.AlreadyHandled, [], existing);
        }
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

    private ConditionCheck Absent(string pk) => new()
    {
        TableName = _tableName,
        Key = Key(pk),
        ConditionExpression = "attribute_not_exists(#pk)",
        ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = FanoutTopology.PartitionKey },
    };

    /// <summary>Puts an outcome record unless one exists; returns the existing one, or null when this one was written.</summary>
    private async Task<RecordedOutcome?> TryPutOutcomeAsync(Put put, CancellationToken cancellationToken)
    {
        try
        {
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
            var eventKey = put.Item[FanoutTopology.PartitionKey].S;
            return ToOutcome(ex.Item) ?? await ReadOutcomeAsync(eventKey[EventPrefix.Length..], cancellationToken)
                ?? throw new InvalidOperationException($"Event {eventKey[EventPrefix.Length..]} has an outcome record that cannot be read.", ex);
        }
    }

    private Put OutcomePut(string eventId, string orderId, string payloadHash, string outcome, string json) => new()
    {
        TableName = _tableName,
        Item = new Dictionary<string, AttributeValue>
        {
            [FanoutTopology.PartitionKey] = new() { S = EventPrefix + eventId },
            ["orderId"] = new() { S = orderId },
            ["payloadHash"] = new() { S = payloadHash },
            ["outcome"] = new() { S = outcome },
            ["result"] = new() { S = json },
            ["recordedAt"] = new() { S = Now() },
            [FanoutTopology.TtlAttribute] = new() { N = (_time.GetUtcNow() + _retention).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) },
        },
        ConditionExpression = "attribute_not_exists(#pk)",
        ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = FanoutTopology.PartitionKey },
        ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
    };

    private async Task<RecordedOutcome?> ReadOutcomeAsync(string eventId, CancellationToken cancellationToken)
    {
        var response = await _dynamo.GetItemAsync(
            new GetItemRequest { TableName = _tableName, Key = Key(EventPrefix + eventId), ConsistentRead = true },
            cancellationToken);
        return ToOutcome(response.Item);
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

    private static List<StockLine> ReadLines(Dictionary<string, AttributeValue> reservation) =>
        reservation.TryGetValue("lines", out var lines) && lines.L is { } list
            ? [.. list.Select(l => new StockLine(l.M["sku"].S, int.Parse(l.M["quantity"].N, CultureInfo.InvariantCulture)))]
            : [];

    private static RecordedOutcome? ToOutcome(Dictionary<string, AttributeValue>? item) =>
        item is not null && item.TryGetValue("payloadHash", out var hash) && item.TryGetValue("result", out var result)
            ? new RecordedOutcome(hash.S, result.S)
            : null;

    private static Dictionary<string, AttributeValue> Key(string pk) => new() { [FanoutTopology.PartitionKey] = new AttributeValue { S = pk } };
}

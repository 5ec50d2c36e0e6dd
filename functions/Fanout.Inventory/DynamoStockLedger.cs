using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Fanout.Contracts.Topology;
using Fanout.Inventory.Core;
using Polly;
using Polly.Retry;

namespace Fanout.Inventory;

/// <summary>Stock and idempotency records in the inventory table: <c>SKU#sku</c> items hold
/// <c>available</c>; <c>EVENT#id</c> items record each handled OrderPlaced and the outcome published.</summary>
public sealed class DynamoStockLedger : IStockLedger
{
    public const string SkuPrefix = "SKU#";
    public const string EventPrefix = "EVENT#";

    /// <summary>Attempts of a reservation whose transaction keeps conflicting with concurrent ones.</summary>
    public const int MaxConflictAttempts = 8;

    /// <summary>First backoff after a conflict; doubles per attempt with jitter, capped at <see cref="MaxConflictDelay"/>.</summary>
    public static readonly TimeSpan ConflictBaseDelay = TimeSpan.FromMilliseconds(25);

    public static readonly TimeSpan MaxConflictDelay = TimeSpan.FromMilliseconds(800);

    private readonly IAmazonDynamoDB _dynamo;
    private readonly string _tableName;
    private readonly TimeSpan _retention;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline<ReservationResult> _conflictRetry;

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
        _conflictRetry = new ResiliencePipelineBuilder<ReservationResult> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<ReservationResult>
            {
                ShouldHandle = new PredicateBuilder<ReservationResult>().Handle<TransactionCanceledException>(),
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
        var items = new List<TransactWriteItem>(lines.Count + 1)
        {
            new() { Put = OutcomePut(eventId, orderId, payloadHash, "RESERVED", reservedOutcomeJson) },
        };
        var now = _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
        foreach (var line in lines)
        {
            items.Add(new TransactWriteItem
            {
                Update = new Update
                {
                    TableName = _tableName,
                    Key = Key(SkuPrefix + line.Sku),
                    UpdateExpression = "SET available = available - :qty, updatedAt = :now",
                    // Never below zero: the decrement applies only while enough units remain.
                    ConditionExpression = "attribute_exists(#pk) AND available >= :qty",
                    ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = FanoutTopology.PartitionKey },
                    ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                    {
                        [":qty"] = new() { N = line.Quantity.ToString(CultureInfo.InvariantCulture) },
                        [":now"] = new() { S = now },
                    },
                },
            });
        }

        var request = new TransactWriteItemsRequest { TransactItems = items };
        return await _conflictRetry.ExecuteAsync(
            static (state, ct) => new ValueTask<ReservationResult>(state.Ledger.TryTransactAsync(state.Request, state.EventId, state.Lines, ct)),
            (Ledger: this, Request: request, EventId: eventId, Lines: lines),
            cancellationToken);
    }

    /// <summary>One attempt: the reservation's outcome, or the <see cref="TransactionCanceledException"/> of a
    /// cancellation that names none of this transaction's conditions (a conflict with a concurrent one).</summary>
    private async Task<ReservationResult> TryTransactAsync(TransactWriteItemsRequest request, string eventId, IReadOnlyList<StockLine> lines, CancellationToken cancellationToken)
    {
        try
        {
            await _dynamo.TransactWriteItemsAsync(request, cancellationToken);
            return new ReservationResult(ReservationStatus.Reserved, [], null);
        }
        catch (TransactionCanceledException ex)
        {
            var reasons = ex.CancellationReasons ?? [];
            if (reasons.Count > 0 && reasons[0].Code == "ConditionalCheckFailed")
            {
                var existing = ToOutcome(reasons[0].Item) ?? await ReadOutcomeAsync(eventId, cancellationToken);
                if (existing is not null)
                {
                    return new ReservationResult(ReservationStatus.AlreadyHandled, [], existing);
                }
            }

            var unavailable = new List<string>();
            for (var i = 1; i < reasons.Count && i <= lines.Count; i++)
            {
                if (reasons[i].Code == "ConditionalCheckFailed")
                {
                    unavailable.Add(lines[i - 1].Sku);
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
        var put = OutcomePut(eventId, orderId, payloadHash, "REJECTED", rejectedOutcomeJson);
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
            return ToOutcome(ex.Item) ?? await ReadOutcomeAsync(eventId, cancellationToken)
                ?? throw new InvalidOperationException($"Event {eventId} has an outcome record that cannot be read.", ex);
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
            ["recordedAt"] = new() { S = _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture) },
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

    private static RecordedOutcome? ToOutcome(Dictionary<string, AttributeValue>? item) =>
        item is not null && item.TryGetValue("payloadHash", out var hash) && item.TryGetValue("result", out var result)
            ? new RecordedOutcome(hash.S, result.S)
            : null;

    private static Dictionary<string, AttributeValue> Key(string pk) => new() { [FanoutTopology.PartitionKey] = new AttributeValue { S = pk } };
}

using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Fanout.Contracts.Topology;
using Fanout.Orders.Core;

namespace Fanout.Orders;

/// <summary>The orders table: <c>ORDER#id</c> items (the order, its OrderPlaced event and per-service
/// statuses) and <c>IDEMPOTENCY#key</c> items (which order a client's key created, and with what request). The key
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

    public DynamoOrderStore(IAmazonDynamoDB dynamo, string tableName, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        ArgumentException.ThrowIfNullOrWhiteSpace(tableName);
        ArgumentNullException.ThrowIfNull(time);
        _dynamo = dynamo;
        _tableName = tableName;
        _time = time;
    }

    /// <summary>Writes the order, and with a key also the key's item, in one transaction that never overwrites.</summary>
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
    public async Task<CreateOrderResult> CreateAsync(OrderRecord order, string? idempotencyKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(order);
        var orderPut = new Put
        {
            TableName = _tableName,
            Item = ToItem(order),
            ConditionExpression = "attribute_not_exists(#pk)",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = FanoutTopology.PartitionKey },
            ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
        };

        if (idempotencyKey is null)
        {
            return await CreateWithoutKeyAsync(order, orderPut, cancellationToken);
        }

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
                new TransactWriteItemsRequest { TransactItems = [new() { Put = keyPut }, new() { Put = orderPut }], ClientRequestToken = order.OrderId },
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

    public Task MarkPublishedAsync(string orderId, DateTimeOffset publishedAt, CancellationToken cancellationToken) =>
        _dynamo.UpdateItemAsync(
            new UpdateItemRequest
            {
                TableName = _tableName,
                Key = Key(OrderPrefix + orderId),
                UpdateExpression = "SET publishedAt = if_not_exists(publishedAt, :at)",
                ConditionExpression = "attribute_exists(#pk)",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = FanoutTopology.PartitionKey },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":at"] = new() { S = Format(publishedAt) } },
            },
            cancellationToken);

    public async Task<ApplyOutcomeStatus> ApplyOutcomeAsync(string orderId, string eventId, string service, string status, CancellationToken cancellationToken)
    {
        try
        {
            await _dynamo.UpdateItemAsync(
                new UpdateItemRequest
                {
                    TableName = _tableName,
                    Key = Key(OrderPrefix + orderId),
                    UpdateExpression = "SET #svc = :status, updatedAt = :now ADD appliedEvents :events",
                    // Once per event id; and a service's status only moves from PENDING to one final value,
                    // so outcomes may arrive in any order and duplicates change nothing.
                    ConditionExpression = "attribute_exists(#pk) AND NOT contains(appliedEvents, :eventId) AND (#svc = :pending OR #svc = :status)",
                    ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = FanoutTopology.PartitionKey, ["#svc"] = service },
                    ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                    {
                        [":status"] = new() { S = status },
                        [":pending"] = new() { S = ServiceStatus.Pending },
                        [":now"] = new() { S = Format(_time.GetUtcNow()) },
                        [":events"] = new() { SS = [eventId] },
                        [":eventId"] = new() { S = eventId },
                    },
                    ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
                },
                cancellationToken);
            return ApplyOutcomeStatus.Applied;
        }
        catch (ConditionalCheckFailedException ex)
        {
            var item = ex.Item is { Count: > 0 } returned ? returned : await GetItemAsync(OrderPrefix + orderId, cancellationToken);
            if (item is null)
            {
                return ApplyOutcomeStatus.OrderMissing;
            }

            if (item.TryGetValue("appliedEvents", out var applied) && applied.SS is { } ids && ids.Contains(eventId))
            {
                return ApplyOutcomeStatus.Duplicate;
            }

            return item.TryGetValue(service, out var current) && current.S != ServiceStatus.Pending && current.S != status
                ? ApplyOutcomeStatus.Conflict
                : ApplyOutcomeStatus.Duplicate;
        }
    }

    private static bool IsExpired(Dictionary<string, AttributeValue> keyItem, long now) =>
        keyItem.TryGetValue(FanoutTopology.TtlAttribute, out var ttl)
        && long.TryParse(ttl.N, NumberStyles.Integer, CultureInfo.InvariantCulture, out var expiresAt)
        && expiresAt < now;

    private static string Seconds(long value) => value.ToString(CultureInfo.InvariantCulture);

    private async Task<CreateOrderResult> CreateWithoutKeyAsync(OrderRecord order, Put orderPut, CancellationToken cancellationToken)
    {
        try
        {
            await _dynamo.PutItemAsync(
                new PutItemRequest
                {
                    TableName = _tableName,
                    Item = orderPut.Item,
                    ConditionExpression = orderPut.ConditionExpression,
                    ExpressionAttributeNames = orderPut.ExpressionAttributeNames,
                    ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
                },
                cancellationToken);
            return new CreateOrderResult(CreateOrderStatus.Created, order);
        }
        catch (ConditionalCheckFailedException ex)
        {
            // Order ids are fresh UUIDv7s, so the only way to find one taken is the SDK retrying our own write.
            var item = ex.Item is { Count: > 0 } returned ? returned : await GetItemAsync(OrderPrefix + order.OrderId, cancellationToken);
            if (item is not null && item.TryGetValue("requestHash", out var hash) && hash.S == order.RequestHash)
            {
                return new CreateOrderResult(CreateOrderStatus.Created, FromItem(item));
            }

            throw new InvalidOperationException($"Order {order.OrderId} already exists with a different request.", ex);
        }
    }

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

    private static OrderRecord FromItem(Dictionary<string, AttributeValue> item)
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
            item.TryGetValue("publishedAt", out var published) ? DateTimeOffset.Parse(published.S, CultureInfo.InvariantCulture) : null,
            statuses);
    }

    private static string Format(DateTimeOffset value) => value.ToString("O", CultureInfo.InvariantCulture);

    private static Dictionary<string, AttributeValue> Key(string pk) => new() { [FanoutTopology.PartitionKey] = new AttributeValue { S = pk } };
}

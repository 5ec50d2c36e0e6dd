using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Fanout.Contracts.Topology;
using Fanout.Orders.Core;

namespace Fanout.Orders;

/// <summary>The orders table: <c>ORDER#id</c> items (the order, its OrderPlaced event and per-service
/// statuses) and <c>IDEMPOTENCY#key</c> items (which order a client's key created, and with what request).</summary>
public sealed class DynamoOrderStore : IOrderStore
{
    public const string OrderPrefix = "ORDER#";
    public const string KeyPrefix = "IDEMPOTENCY#";

    /// <summary>How long an idempotency key is remembered (clients retry within minutes, not days).</summary>
    public static readonly TimeSpan KeyRetention = TimeSpan.FromHours(24);

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

    public async Task<CreateOrderResult> CreateAsync(OrderRecord order, string? idempotencyKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(order);
        var orderPut = new Put
        {
            TableName = _tableName,
            Item = ToItem(order),
            ConditionExpression = "attribute_not_exists(#pk)",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = FanoutTopology.PartitionKey },
        };

        if (idempotencyKey is null)
        {
            await _dynamo.PutItemAsync(
                new PutItemRequest { TableName = _tableName, Item = orderPut.Item, ConditionExpression = orderPut.ConditionExpression, ExpressionAttributeNames = orderPut.ExpressionAttributeNames },
                cancellationToken);
            return new CreateOrderResult(CreateOrderStatus.Created, order);
        }

        var keyPut = new Put
        {
            TableName = _tableName,
            Item = new Dictionary<string, AttributeValue>
            {
                [FanoutTopology.PartitionKey] = new() { S = KeyPrefix + idempotencyKey },
                ["orderId"] = new() { S = order.OrderId },
                ["requestHash"] = new() { S = order.RequestHash },
                [FanoutTopology.TtlAttribute] = new() { N = (_time.GetUtcNow() + KeyRetention).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) },
            },
            ConditionExpression = "attribute_not_exists(#pk)",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = FanoutTopology.PartitionKey },
            ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
        };

        try
        {
            await _dynamo.TransactWriteItemsAsync(
                new TransactWriteItemsRequest { TransactItems = [new() { Put = keyPut }, new() { Put = orderPut }] },
                cancellationToken);
            return new CreateOrderResult(CreateOrderStatus.Created, order);
        }
        catch (TransactionCanceledException ex) when (ex.CancellationReasons is { Count: > 0 } reasons && reasons[0].Code == "ConditionalCheckFailed")
        {
            var keyItem = reasons[0].Item is { Count: > 0 } returned ? returned : await GetItemAsync(KeyPrefix + idempotencyKey, cancellationToken);
            if (keyItem is null)
            {
                throw new InvalidOperationException($"Idempotency key '{idempotencyKey}' conflicted but cannot be read; retry.", ex);
            }

            if (keyItem["requestHash"].S != order.RequestHash)
            {
                return new CreateOrderResult(CreateOrderStatus.KeyConflict, null);
            }

            var existing = await GetAsync(keyItem["orderId"].S, cancellationToken)
                ?? throw new InvalidOperationException($"Idempotency key '{idempotencyKey}' names an order that does not exist.", ex);
            return new CreateOrderResult(CreateOrderStatus.ExistingForKey, existing);
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

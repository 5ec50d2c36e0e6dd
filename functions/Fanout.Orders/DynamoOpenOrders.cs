using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Fanout.Contracts.Topology;
using Fanout.Orders.Core;

namespace Fanout.Orders;

/// <summary>The reconciler's read of the orders table: the sparse, keys-only <see cref="ReconcilerSpec.OpenOrdersIndex"/>
/// index (<c>openShard</c> = <c>OPEN#0..3</c>, <c>openSince</c> ISO-8601 UTC, and the table's <c>pk</c>) and a consistent re-read of each order it
/// names. Apart from <see cref="DynamoOrderStore"/> so a function that only reads open orders is granted
/// <c>Query</c> and <c>GetItem</c>, and the functions that write orders are not granted <c>Query</c>.</summary>
public sealed class DynamoOpenOrders
{
    private readonly IAmazonDynamoDB _dynamo;
    private readonly string _tableName;
    private readonly DynamoOrderReader _orders;

    public DynamoOpenOrders(IAmazonDynamoDB dynamo, string tableName)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        ArgumentException.ThrowIfNullOrWhiteSpace(tableName);
        _dynamo = dynamo;
        _tableName = tableName;
        _orders = new DynamoOrderReader(dynamo, tableName);
    }

    /// <summary>Open orders of one shard of the index that became open before <paramref name="olderThan"/>, oldest
    /// first, each re-read consistently (an order settled since the index was updated is left out) with the fact it
    /// may still owe (<see cref="DynamoOrderStore.ToOpenOrder"/>).</summary>
    /// <param name="shard">0 to <see cref="ReconcilerSpec.OpenShards"/> − 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="shard"/> is outside that range.</exception>
    public async Task<IReadOnlyList<OpenOrder>> QueryOpenAsync(int shard, DateTimeOffset olderThan, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(shard);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(shard, ReconcilerSpec.OpenShards);
        var open = new List<OpenOrder>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await _dynamo.QueryAsync(
                new QueryRequest
                {
                    TableName = _tableName,
                    IndexName = ReconcilerSpec.OpenOrdersIndex,
                    KeyConditionExpression = "#shard = :shard AND #since < :before",
                    ExpressionAttributeNames = new Dictionary<string, string> { ["#shard"] = ReconcilerSpec.OpenShardAttribute, ["#since"] = ReconcilerSpec.OpenSinceAttribute },
                    ExpressionAttributeValues = new Dictionary<string, AttributeValue>
                    {
                        [":shard"] = new() { S = OpenOrders.ShardKey(shard) },
                        [":before"] = new() { S = OpenOrders.Since(olderThan) },
                    },
                    ExclusiveStartKey = start,
                },
                cancellationToken);
            foreach (var hit in page.Items ?? [])
            {
                // The index projects keys only (a status update then writes nothing to it): the order id is the table key's.
                if (hit.TryGetValue(FanoutTopology.PartitionKey, out var pk) && pk.S is { } key && key.StartsWith(DynamoOrderStore.OrderPrefix, StringComparison.Ordinal)
                    && await GetOrderAsync(key[DynamoOrderStore.OrderPrefix.Length..], cancellationToken) is { } order && DynamoOrderStore.ToOpenOrder(order) is { } stuck)
                {
                    open.Add(stuck);
                }
            }

            start = page.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (start is not null);

        return open;
    }

    private Task<OrderRecord?> GetOrderAsync(string orderId, CancellationToken cancellationToken) => _orders.GetAsync(orderId, cancellationToken);
}

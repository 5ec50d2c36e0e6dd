using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Fanout.Contracts.Topology;
using Fanout.Orders.Core;
using Fanout.Orders.Outbox;

namespace Fanout.Orders;

/// <summary>Reads <c>ORDER#</c> items consistently (<c>GetItem</c> only), for the functions that publish what an order
/// still owes: the outbox relay and the reconciler. Apart from <see cref="DynamoOrderStore"/> so they are granted
/// <c>GetItem</c> on orders and no write to them.</summary>
public sealed class DynamoOrderReader : IOrderReader
{
    private readonly IAmazonDynamoDB _dynamo;
    private readonly string _tableName;

    public DynamoOrderReader(IAmazonDynamoDB dynamo, string tableName)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        ArgumentException.ThrowIfNullOrWhiteSpace(tableName);
        _dynamo = dynamo;
        _tableName = tableName;
    }

    /// <inheritdoc/>
    public async Task<OrderRecord?> GetAsync(string orderId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(orderId);
        var response = await _dynamo.GetItemAsync(
            new GetItemRequest
            {
                TableName = _tableName,
                Key = new() { [FanoutTopology.PartitionKey] = new AttributeValue { S = DynamoOrderStore.OrderPrefix + orderId } },
                ConsistentRead = true,
            },
            cancellationToken);
        return response.Item is { Count: > 0 } item ? DynamoOrderStore.FromItem(item) : null;
    }
}

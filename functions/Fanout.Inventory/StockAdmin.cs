using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Fanout.Contracts.Orders;
using Fanout.Contracts.Topology;

namespace Fanout.Inventory;

/// <summary>Sets and reads stock levels: the one supported way to seed inventory (used by the CLI's
/// <c>fanout stock set</c>, the local harness and the tests). Nothing in the code hard-codes stock.</summary>
public sealed class StockAdmin
{
    private readonly IAmazonDynamoDB _dynamo;
    private readonly string _tableName;
    private readonly TimeProvider _time;

    public StockAdmin(IAmazonDynamoDB dynamo, string tableName, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        ArgumentException.ThrowIfNullOrWhiteSpace(tableName);
        ArgumentNullException.ThrowIfNull(time);
        _dynamo = dynamo;
        _tableName = tableName;
        _time = time;
    }

    /// <summary>Sets the available units of a SKU (overwrites: this is an administrative correction).</summary>
    public Task SetAsync(string sku, int available, CancellationToken cancellationToken)
    {
        if (!OrderRules.IsValidSku(sku))
        {
            throw new ArgumentException($"'{sku}' is not a valid SKU ({OrderRules.SkuPatternText}).", nameof(sku));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(available);
        return _dynamo.PutItemAsync(
            new PutItemRequest
            {
                TableName = _tableName,
                Item = new Dictionary<string, AttributeValue>
                {
                    [FanoutTopology.PartitionKey] = new() { S = DynamoStockLedger.SkuPrefix + sku },
                    ["sku"] = new() { S = sku },
                    ["available"] = new() { N = available.ToString(CultureInfo.InvariantCulture) },
                    ["updatedAt"] = new() { S = _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture) },
                },
            },
            cancellationToken);
    }

    /// <summary>The available units of a SKU, or null when the SKU is unknown.</summary>
    public async Task<int?> GetAsync(string sku, CancellationToken cancellationToken)
    {
        var response = await _dynamo.GetItemAsync(
            new GetItemRequest
            {
                TableName = _tableName,
                Key = new Dictionary<string, AttributeValue> { [FanoutTopology.PartitionKey] = new() { S = DynamoStockLedger.SkuPrefix + sku } },
                ConsistentRead = true,
            },
            cancellationToken);
        return response.Item is { Count: > 0 } item && item.TryGetValue("available", out var available)
            ? int.Parse(available.N, CultureInfo.InvariantCulture)
            : null;
    }

    /// <summary>Every SKU and its available units (a scan: an admin operation, not a hot path).</summary>
    public async Task<IReadOnlyList<(string Sku, int Available)>> ListAsync(CancellationToken cancellationToken)
    {
        var result = new List<(string, int)>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await _dynamo.ScanAsync(
                new ScanRequest
                {
                    TableName = _tableName,
                    FilterExpression = "begins_with(#pk, :prefix)",
                    ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = FanoutTopology.PartitionKey },
                    ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":prefix"] = new() { S = DynamoStockLedger.SkuPrefix } },
                    ExclusiveStartKey = start,
                },
                cancellationToken);
            foreach (var item in page.Items ?? [])
            {
                result.Add((item["sku"].S, int.Parse(item["available"].N, CultureInfo.InvariantCulture)));
            }

            start = page.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (start is not null);

        result.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
        return result;
    }
}

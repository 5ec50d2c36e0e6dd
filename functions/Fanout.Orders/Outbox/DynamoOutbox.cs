using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Publishing;

namespace Fanout.Orders.Outbox;

/// <summary>The outbox items in the order service's DynamoDB table: <c>pk = OUTBOX#&lt;eventId&gt;</c>, with
/// <c>orderId</c>, <c>eventType</c>, <c>correlationId</c>, <c>envelope</c> (the exact CloudEvent JSON) and
/// <c>createdAt</c> (ISO-8601 UTC). The table's stream carries each new item to the outbox relay.</summary>
public sealed class DynamoOutbox : IOutbox
{
    private readonly IAmazonDynamoDB _dynamo;
    private readonly string _tableName;

    public DynamoOutbox(IAmazonDynamoDB dynamo, string tableName)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        ArgumentException.ThrowIfNullOrWhiteSpace(tableName);
        _dynamo = dynamo;
        _tableName = tableName;
    }

    /// <summary>The partition key value of the entry for <paramref name="eventId"/>.</summary>
    public static string KeyFor(string eventId) => OutboxSpec.KeyPrefix + eventId;

    /// <summary>The entry's item, to put in the same <c>TransactWriteItems</c> as the change it reports. Conditioned on
    /// the item not existing: an entry is never overwritten.</summary>
    public static Put PutFor(string tableName, OutboxEntry entry)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tableName);
        ArgumentNullException.ThrowIfNull(entry);
        return new Put
        {
            TableName = tableName,
            Item = ToItem(entry),
            ConditionExpression = "attribute_not_exists(#pk)",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = FanoutTopology.PartitionKey },
        };
    }

    /// <summary>The item's attributes (also what the relay reads from a stream record's <c>NewImage</c>).</summary>
    public static Dictionary<string, AttributeValue> ToItem(OutboxEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new Dictionary<string, AttributeValue>
        {
            [FanoutTopology.PartitionKey] = new() { S = KeyFor(entry.EventId) },
            ["orderId"] = new() { S = entry.OrderId },
            ["eventType"] = new() { S = entry.Event.Type },
            ["correlationId"] = new() { S = entry.Event.CorrelationId },
            ["envelope"] = new() { S = entry.Event.Json },
            ["createdAt"] = new() { S = entry.CreatedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture) },
        };
    }

    /// <summary>Reads an entry back from its item; null when the item is not a complete outbox entry.</summary>
    public static OutboxEntry? FromItem(IReadOnlyDictionary<string, AttributeValue> item)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (!item.TryGetValue(FanoutTopology.PartitionKey, out var pk) || pk.S is not { } key || !key.StartsWith(OutboxSpec.KeyPrefix, StringComparison.Ordinal)
            || Text(item, "orderId") is not { } orderId || Text(item, "eventType") is not { } type || Text(item, "correlationId") is not { } correlationId
            || Text(item, "envelope") is not { } envelope || Text(item, "createdAt") is not { } createdAt
            || !DateTimeOffset.TryParse(createdAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            return null;
        }

        return new OutboxEntry(new OutgoingEvent(key[OutboxSpec.KeyPrefix.Length..], type, correlationId, envelope), orderId, at);
    }

    public async Task<OutboxEntry?> GetAsync(string eventId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventId);
        var response = await _dynamo.GetItemAsync(
            new GetItemRequest { TableName = _tableName, Key = Key(eventId), ConsistentRead = true },
            cancellationToken);
        return response.Item is { Count: > 0 } item ? FromItem(item) : null;
    }

    public Task CompleteAsync(string eventId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventId);
        return _dynamo.DeleteItemAsync(new DeleteItemRequest { TableName = _tableName, Key = Key(eventId) }, cancellationToken);
    }

    private static Dictionary<string, AttributeValue> Key(string eventId) =>
        new() { [FanoutTopology.PartitionKey] = new AttributeValue { S = KeyFor(eventId) } };

    private static string? Text(IReadOnlyDictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value.S) ? value.S : null;
}

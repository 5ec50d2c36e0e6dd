using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Fanout.Contracts.Topology;

namespace Fanout.Functions.Common.Sqs;

/// <summary>What the default ("record") senders do instead of sending: write the rendered message to the
/// service's own table under <c>prefix + orderId</c>, so a person or a test sees exactly what would have gone
/// out. The write is conditional, so even a retried send records one message per order.</summary>
public sealed class RecordedMessages
{
    private readonly IAmazonDynamoDB _dynamo;
    private readonly string _tableName;
    private readonly string _keyPrefix;
    private readonly TimeProvider _time;

    public RecordedMessages(IAmazonDynamoDB dynamo, string tableName, string keyPrefix, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        ArgumentException.ThrowIfNullOrWhiteSpace(tableName);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyPrefix);
        ArgumentNullException.ThrowIfNull(time);
        _dynamo = dynamo;
        _tableName = tableName;
        _keyPrefix = keyPrefix;
        _time = time;
    }

    /// <summary>Records the message (once per order) and returns its message id.</summary>
    public async Task<string> RecordAsync(string orderId, IReadOnlyDictionary<string, string> fields, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var messageId = "record-" + orderId;
        var item = new Dictionary<string, AttributeValue>
        {
            [FanoutTopology.PartitionKey] = new() { S = _keyPrefix + orderId },
            ["orderId"] = new() { S = orderId },
            ["messageId"] = new() { S = messageId },
            ["sentAt"] = new() { S = _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture) },
        };
        foreach (var (name, value) in fields)
        {
            item[name] = new AttributeValue { S = value };
        }

        try
        {
            await _dynamo.PutItemAsync(
                new PutItemRequest
                {
                    TableName = _tableName,
                    Item = item,
                    ConditionExpression = "attribute_not_exists(#pk)",
                    ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = FanoutTopology.PartitionKey },
                },
                cancellationToken);
        }
        catch (ConditionalCheckFailedException)
        {
            // Recorded by an earlier attempt whose lease was lost: one message per order stands.
        }

        return messageId;
    }
}

using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Fanout.Contracts.Topology;
using Fanout.Sms.Core;

namespace Fanout.Sms;

/// <summary>The default sender: writes the rendered SMS to the service's own table (key <c>SMS#orderId</c>)
/// instead of sending it, so a person or a test sees exactly what would have gone out. The write is
/// conditional, so even a retried send records one message per order.</summary>
public sealed class RecordingSmsSender : ISmsSender
{
    public const string KeyPrefix = "SMS#";
    private readonly IAmazonDynamoDB _dynamo;
    private readonly string _tableName;
    private readonly TimeProvider _time;

    public RecordingSmsSender(IAmazonDynamoDB dynamo, string tableName, TimeProvider time)
    {
        _dynamo = dynamo;
        _tableName = tableName;
        _time = time;
    }

    public async Task<string> SendAsync(string orderId, string phoneNumber, string text, CancellationToken cancellationToken)
    {
        var messageId = "record-" + orderId;
        try
        {
            await _dynamo.PutItemAsync(
                new PutItemRequest
                {
                    TableName = _tableName,
                    Item = new Dictionary<string, AttributeValue>
                    {
                        [FanoutTopology.PartitionKey] = new() { S = KeyPrefix + orderId },
                        ["orderId"] = new() { S = orderId },
                        ["to"] = new() { S = phoneNumber },
                        ["text"] = new() { S = text },
                        ["messageId"] = new() { S = messageId },
                        ["sentAt"] = new() { S = _time.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture) },
                    },
                    ConditionExpression = "attribute_not_exists(#pk)",
                    ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = FanoutTopology.PartitionKey },
                },
                cancellationToken);
        }
        catch (ConditionalCheckFailedException)
        {
            // Already recorded by an earlier attempt whose lease was lost: one message per order stands.
        }

        return messageId;
    }
}

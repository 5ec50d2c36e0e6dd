using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Fanout.Contracts.Topology;
using Fanout.Email.Core;

namespace Fanout.Email;

/// <summary>The default sender: writes the rendered e-mail to the service's own table (key
/// <c>EMAIL#orderId</c>) instead of sending it. Conditional, so one message per order even on retries.</summary>
public sealed class RecordingEmailSender : IEmailSender
{
    public const string KeyPrefix = "EMAIL#";
    private readonly IAmazonDynamoDB _dynamo;
    private readonly string _tableName;
    private readonly TimeProvider _time;

    public RecordingEmailSender(IAmazonDynamoDB dynamo, string tableName, TimeProvider time)
    {
        _dynamo = dynamo;
        _tableName = tableName;
        _time = time;
    }

    public async Task<string> SendAsync(string orderId, EmailMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
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
                        ["to"] = new() { S = message.To },
                        ["subject"] = new() { S = message.Subject },
                        ["text"] = new() { S = message.Text },
                        ["messageId"] = new() { S = messageId },
                        ["sentAt"] = new() { S = _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture) },
                    },
                    ConditionExpression = "attribute_not_exists(#pk)",
                    ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = FanoutTopology.PartitionKey },
                },
                cancellationToken);
        }
        catch (ConditionalCheckFailedException)
        {
            // Recorded by an earlier attempt: one message per order stands.
        }

        return messageId;
    }
}

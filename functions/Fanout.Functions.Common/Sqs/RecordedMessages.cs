using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Fanout.Contracts.Topology;

namespace Fanout.Functions.Common.Sqs;

/// <summary>What the default ("record") senders do instead of sending: write the rendered message to the
/// service's own table, so a person, a test or <c>fanout messages &lt;orderId&gt;</c> sees exactly what would have
/// gone out. The write is conditional, so even a retried send records one message per order and notification.</summary>
/// <remarks>
/// One item per message, key <c>&lt;prefix&gt;&lt;orderId&gt;#&lt;notification&gt;</c> (e.g.
/// <c>SMS#0195…#ORDER_CANCELLED</c>), so <c>begins_with(pk, "SMS#&lt;orderId&gt;#")</c> finds an order's messages.
/// Attributes (all strings): <c>orderId</c>; <c>channel</c> (<c>sms</c> or <c>email</c>); <c>notification</c> (one of
/// <c>NotificationKinds</c>); <c>sentAt</c> (ISO-8601 UTC, from the injected clock); <c>messageId</c> (what the
/// sender returned); <c>text</c>; <c>to</c>; and for e-mail <c>subject</c>.
/// </remarks>
public sealed class RecordedMessages
{
    private readonly IAmazonDynamoDB _dynamo;
    private readonly string _tableName;
    private readonly string _keyPrefix;
    private readonly string _channel;
    private readonly TimeProvider _time;

    /// <param name="channel">Stored as <c>channel</c> on every item: <c>sms</c> or <c>email</c>.</param>
    public RecordedMessages(IAmazonDynamoDB dynamo, string tableName, string keyPrefix, string channel, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        ArgumentException.ThrowIfNullOrWhiteSpace(tableName);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyPrefix);
        ArgumentException.ThrowIfNullOrWhiteSpace(channel);
        ArgumentNullException.ThrowIfNull(time);
        _dynamo = dynamo;
        _tableName = tableName;
        _keyPrefix = keyPrefix;
        _channel = channel;
        _time = time;
    }

    /// <summary>The item key of an order's message of one notification kind.</summary>
    public string KeyFor(string orderId, string notification) => _keyPrefix + orderId + "#" + notification;

    /// <summary>Records the message (once per order and notification) and returns its message id,
    /// <c>record-&lt;orderId&gt;-&lt;notification&gt;</c>.</summary>
    public async Task<string> RecordAsync(string orderId, string notification, IReadOnlyDictionary<string, string> fields, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(orderId);
        ArgumentException.ThrowIfNullOrWhiteSpace(notification);
        ArgumentNullException.ThrowIfNull(fields);
        var messageId = "record-" + orderId + "-" + notification;
        var item = new Dictionary<string, AttributeValue>
        {
            [FanoutTopology.PartitionKey] = new() { S = KeyFor(orderId, notification) },
            ["orderId"] = new() { S = orderId },
            ["channel"] = new() { S = _channel },
            ["notification"] = new() { S = notification },
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
            // Recorded by an earlier attempt whose lease was lost: one message per order and notification stands.
        }

        return messageId;
    }
}

using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Idempotency;

namespace Fanout.Functions.Common.Sqs;

/// <summary>What the default ("record") senders do instead of sending: write the rendered message to the
/// service's own table, so a person, a test or <c>fanout messages &lt;orderId&gt;</c> sees exactly what would have
/// gone out. The write is conditional, so even a retried send records one message per order and notification; and,
/// given the event's <see cref="SendStamp"/>, the same write is the event's idempotency record
/// (<see cref="RecordedEffect"/>): one write per message, no lease.</summary>
/// <remarks>
/// One item per message, key <c>&lt;prefix&gt;&lt;orderId&gt;#&lt;notification&gt;</c> (e.g.
/// <c>SMS#0195…#ORDER_CANCELLED</c>), so <c>begins_with(pk, "SMS#&lt;orderId&gt;#")</c> finds an order's messages.
/// Attributes (all strings): <c>orderId</c>; <c>channel</c> (<c>sms</c> or <c>email</c>); <c>notification</c> (one of
/// <c>NotificationKinds</c>); <c>sentAt</c> (ISO-8601 UTC, from the injected clock or the stamp); <c>messageId</c>
/// (what the sender returned); <c>text</c>; <c>to</c>; for e-mail <c>subject</c>; and, when written with a stamp, the
/// idempotency fields <c>eventId</c>, <c>payloadHash</c> and <c>correlationId</c>. Well under 1 KB, so one write unit.
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

    /// <summary>The message id a recorded message gets: <c>record-&lt;orderId&gt;-&lt;notification&gt;</c>.</summary>
    public static string MessageIdFor(string orderId, string notification) => "record-" + orderId + "-" + notification;

    /// <summary>Records the message (once per order and notification) and returns its message id
    /// (<see cref="MessageIdFor"/>).</summary>
    /// <param name="stamp">When given, the event this send answers: written with the message, so the write is the
    /// event's idempotency record too. Without it (a send under the lease protocol) an existing message is kept and
    /// its id returned.</param>
    /// <exception cref="AlreadySentException">With a stamp: the message had been recorded before (by this event or
    /// another for the same order and notification).</exception>
    /// <exception cref="PoisonMessageException">With a stamp: this event id was recorded with another payload.</exception>
    public async Task<string> RecordAsync(string orderId, string notification, IReadOnlyDictionary<string, string> fields, SendStamp? stamp, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(orderId);
        ArgumentException.ThrowIfNullOrWhiteSpace(notification);
        ArgumentNullException.ThrowIfNull(fields);
        var messageId = MessageIdFor(orderId, notification);
        var item = new Dictionary<string, AttributeValue>
        {
            [FanoutTopology.PartitionKey] = new() { S = KeyFor(orderId, notification) },
            ["orderId"] = new() { S = orderId },
            ["channel"] = new() { S = _channel },
            ["notification"] = new() { S = notification },
            ["messageId"] = new() { S = messageId },
            ["sentAt"] = new() { S = (stamp?.SentAt ?? _time.GetUtcNow()).ToString("O", CultureInfo.InvariantCulture) },
        };
        if (stamp is not null)
        {
            item["eventId"] = new() { S = stamp.EventId };
            item["payloadHash"] = new() { S = stamp.PayloadHash };
            item["correlationId"] = new() { S = stamp.CorrelationId };
        }

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
                    ReturnValuesOnConditionCheckFailure = stamp is null ? null : ReturnValuesOnConditionCheckFailure.ALL_OLD,
                },
                cancellationToken);
        }
        catch (ConditionalCheckFailedException ex) when (stamp is not null)
        {
            throw Existing(ex.Item, stamp, messageId);
        }
        catch (ConditionalCheckFailedException)
        {
            // Recorded by an earlier attempt whose lease was lost: one message per order and notification stands.
        }

        return messageId;
    }

    private static Exception Existing(Dictionary<string, AttributeValue>? old, SendStamp stamp, string messageId)
    {
        string? Text(string name) => old is not null && old.TryGetValue(name, out var value) ? value.S : null;
        if (Text("eventId") == stamp.EventId && Text("payloadHash") is { } hash && hash != stamp.PayloadHash)
        {
            return new PoisonMessageException($"Event {stamp.EventId} was seen before with a different payload.");
        }

        var sentAt = DateTimeOffset.TryParse(Text("sentAt"), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at : stamp.SentAt;
        return new AlreadySentException(Text("messageId") ?? messageId, sentAt, Text("correlationId"));
    }
}

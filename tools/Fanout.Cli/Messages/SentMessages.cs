using System.Globalization;
using System.Text.Json.Serialization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;

namespace Fanout.Cli.Messages;

/// <summary>One message the sms or email service recorded for an order (its recording sender's item).</summary>
/// <param name="Channel"><c>sms</c> or <c>email</c>: the item's <c>channel</c>, else the table it was read from.</param>
/// <param name="Notification">One of <c>NotificationKinds</c> (<c>ORDER_RECEIVED</c>, <c>ORDER_NOT_FULFILLED</c>,
/// <c>ORDER_CANCELLED</c>), or <c>""</c> when the item does not say.</param>
/// <param name="SentAt">The item's <c>sentAt</c> (ISO 8601, UTC), or null when missing or unreadable.</param>
/// <param name="Text">The rendered message text.</param>
internal sealed record SentMessage(
    [property: JsonPropertyName("channel")] string Channel,
    [property: JsonPropertyName("notification")] string Notification,
    [property: JsonPropertyName("sentAt")] DateTimeOffset? SentAt,
    [property: JsonPropertyName("text")] string Text);

/// <summary>A recording table to read: its channel and its DynamoDB name.</summary>
internal sealed record MessageTable(string Channel, string TableName);

/// <summary>The port to the recording tables: every item of a table whose <c>orderId</c> is the
/// given order. Faked in tests; <see cref="DynamoRecordedItems"/> against DynamoDB.</summary>
internal interface IRecordedItems
{
    Task<IReadOnlyList<Dictionary<string, AttributeValue>>> ForOrderAsync(string tableName, string orderId, CancellationToken cancellationToken);
}

/// <summary>Lists what the sms and email services recorded for one order. Only items with both a <c>sentAt</c> and a
/// <c>text</c> are messages; the tables' idempotency and failure records (which also name the order) are skipped.
/// Sorted by time (missing times first), then channel, then notification.</summary>
internal sealed class SentMessagesReader
{
    private readonly IRecordedItems _items;

    public SentMessagesReader(IRecordedItems items)
    {
        ArgumentNullException.ThrowIfNull(items);
        _items = items;
    }

    public async Task<IReadOnlyList<SentMessage>> ReadAsync(IEnumerable<MessageTable> tables, string orderId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentException.ThrowIfNullOrWhiteSpace(orderId);
        var messages = new List<SentMessage>();
        foreach (var table in tables)
        {
            foreach (var item in await _items.ForOrderAsync(table.TableName, orderId, cancellationToken))
            {
                if (ToMessage(table.Channel, item) is { } message)
                {
                    messages.Add(message);
                }
            }
        }

        return [.. messages
            .OrderBy(m => m.SentAt ?? DateTimeOffset.MinValue)
            .ThenBy(m => m.Channel, StringComparer.Ordinal)
            .ThenBy(m => m.Notification, StringComparer.Ordinal)];
    }

    internal static SentMessage? ToMessage(string tableChannel, Dictionary<string, AttributeValue> item)
    {
        ArgumentNullException.ThrowIfNull(item);
        var sentAt = Text(item, "sentAt");
        var text = Text(item, "text");
        if (sentAt is null || text is null)
        {
            return null;
        }

        return new SentMessage(
            Text(item, "channel") ?? tableChannel,
            Text(item, "notification") ?? "",
            DateTimeOffset.TryParse(sentAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at) ? at : null,
            text);
    }

    private static string? Text(Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var value) && value.S is { } s ? s : null;
}

/// <summary>Reads a recording table with a consistent, paginated Scan filtered on <c>orderId</c>: the tables are
/// keyed by <c>pk</c> alone and a demo's tables are small, so no index is needed (a production reader would Query
/// an index on <c>orderId</c>). Source: the DynamoDB API reference, Scan (FilterExpression, ExclusiveStartKey).</summary>
internal sealed class DynamoRecordedItems(IAmazonDynamoDB dynamo) : IRecordedItems
{
    public async Task<IReadOnlyList<Dictionary<string, AttributeValue>>> ForOrderAsync(string tableName, string orderId, CancellationToken cancellationToken)
    {
        var items = new List<Dictionary<string, AttributeValue>>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.ScanAsync(
                new ScanRequest
                {
                    TableName = tableName,
                    ConsistentRead = true,
                    FilterExpression = "#orderId = :orderId",
                    ExpressionAttributeNames = new Dictionary<string, string> { ["#orderId"] = "orderId" },
                    ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":orderId"] = new() { S = orderId } },
                    ExclusiveStartKey = start,
                },
                cancellationToken);
            items.AddRange(page.Items ?? []);
            start = page.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (start is not null);

        return items;
    }
}

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(IReadOnlyList<SentMessage>))]
internal sealed partial class MessagesJsonContext : JsonSerializerContext;

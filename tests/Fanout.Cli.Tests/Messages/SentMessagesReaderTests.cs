using Amazon.DynamoDBv2.Model;
using Fanout.Cli.Commands;
using Fanout.Cli.Messages;

namespace Fanout.Cli.Tests.Messages;

[Trait("Category", "Unit")]
public sealed class SentMessagesReaderTests
{
    private static readonly MessageTable[] _tables = [new("sms", "t-sms"), new("email", "t-email")];

    private static Dictionary<string, AttributeValue> Item(params (string Name, string Value)[] fields) =>
        fields.ToDictionary(f => f.Name, f => new AttributeValue { S = f.Value });

    private sealed class FakeItems : IRecordedItems
    {
        public Dictionary<string, List<Dictionary<string, AttributeValue>>> ByTable { get; } = [];

        public List<(string Table, string OrderId)> Calls { get; } = [];

        public Task<IReadOnlyList<Dictionary<string, AttributeValue>>> ForOrderAsync(string tableName, string orderId, CancellationToken cancellationToken)
        {
            Calls.Add((tableName, orderId));
            return Task.FromResult<IReadOnlyList<Dictionary<string, AttributeValue>>>(ByTable.TryGetValue(tableName, out var items) ? items : []);
        }
    }

    [Fact]
    public async Task ReadAsync_BothTables_ListsEveryMessageByTimeThenChannel()
    {
        var items = new FakeItems();
        items.ByTable["t-sms"] =
        [
            Item(("pk", "SMS#o-1#ORDER_CANCELLED"), ("orderId", "o-1"), ("channel", "sms"), ("notification", "ORDER_CANCELLED"), ("sentAt", "2026-11-29T10:00:05.0000000+00:00"), ("text", "Your order is cancelled.")),
            Item(("pk", "SMS#o-1#ORDER_RECEIVED"), ("orderId", "o-1"), ("channel", "sms"), ("notification", "ORDER_RECEIVED"), ("sentAt", "2026-11-29T10:00:01.0000000+00:00"), ("text", "We got your order.")),
        ];
        items.ByTable["t-email"] =
        [
            Item(("pk", "EMAIL#o-1#ORDER_RECEIVED"), ("orderId", "o-1"), ("channel", "email"), ("notification", "ORDER_RECEIVED"), ("sentAt", "2026-11-29T10:00:01.0000000+00:00"), ("text", "Dear customer")),
        ];

        var messages = await new SentMessagesReader(items).ReadAsync(_tables, "o-1", TestContext.Current.CancellationToken);

        Assert.Equal(
            [
                new SentMessage("email", "ORDER_RECEIVED", new DateTimeOffset(2026, 11, 29, 10, 0, 1, TimeSpan.Zero), "Dear customer"),
                new SentMessage("sms", "ORDER_RECEIVED", new DateTimeOffset(2026, 11, 29, 10, 0, 1, TimeSpan.Zero), "We got your order."),
                new SentMessage("sms", "ORDER_CANCELLED", new DateTimeOffset(2026, 11, 29, 10, 0, 5, TimeSpan.Zero), "Your order is cancelled."),
            ],
            messages);
        Assert.Equal([("t-sms", "o-1"), ("t-email", "o-1")], items.Calls);
    }

    [Fact]
    public async Task ReadAsync_IdempotencyAndFailureRecords_AreSkipped()
    {
        var items = new FakeItems();
        items.ByTable["t-sms"] =
        [
            Item(("pk", "EVENT#e-1"), ("orderId", "o-1"), ("status", "COMPLETED")),
            Item(("pk", "FAILURE#m-1"), ("orderId", "o-1"), ("reason", "boom"), ("recordedAt", "2026-11-29T10:00:00Z")),
            Item(("pk", "SMS#o-1"), ("orderId", "o-1"), ("text", "no time")),
            Item(("pk", "SMS#o-1#X"), ("orderId", "o-1"), ("sentAt", "2026-11-29T10:00:00Z")),
        ];

        var messages = await new SentMessagesReader(items).ReadAsync(_tables, "o-1", TestContext.Current.CancellationToken);

        Assert.Empty(messages);
    }

    [Fact]
    public void ToMessage_NoChannelNoNotificationBadTime_FallsBackToTheTableAndBlanks()
    {
        var message = SentMessagesReader.ToMessage("email", Item(("orderId", "o-1"), ("sentAt", "yesterday"), ("text", "Hi")));

        Assert.Equal(new SentMessage("email", "", null, "Hi"), message);
    }

    [Fact]
    public void ToMessage_TimeWithoutOffset_IsReadAsUtc()
    {
        var message = SentMessagesReader.ToMessage("sms", Item(("sentAt", "2026-11-29T10:00:00"), ("text", "Hi"), ("channel", "sms"), ("notification", "ORDER_NOT_FULFILLED")));

        Assert.Equal(new SentMessage("sms", "ORDER_NOT_FULFILLED", new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.Zero), "Hi"), message);
    }

    [Fact]
    public async Task ReadAsync_MissingTimeSortsFirst()
    {
        var items = new FakeItems();
        items.ByTable["t-email"] =
        [
            Item(("orderId", "o-1"), ("sentAt", "2026-11-29T10:00:00Z"), ("text", "b")),
            Item(("orderId", "o-1"), ("sentAt", "garbage"), ("text", "a")),
        ];

        var messages = await new SentMessagesReader(items).ReadAsync(_tables, "o-1", TestContext.Current.CancellationToken);

        Assert.Equal(["a", "b"], messages.Select(m => m.Text));
    }

    [Fact]
    public void ToJson_Messages_GivesChannelNotificationSentAtAndText()
    {
        var json = MessagesCommand.ToJson([new SentMessage("sms", "ORDER_CANCELLED", new DateTimeOffset(2026, 11, 29, 10, 0, 5, TimeSpan.Zero), "Your order is cancelled.")]);

        Assert.Equal(
            """
            [
              {
                "channel": "sms",
                "notification": "ORDER_CANCELLED",
                "sentAt": "2026-11-29T10:00:05+00:00",
                "text": "Your order is cancelled."
              }
            ]
            """.ReplaceLineEndings("\n"),
            json.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void ToJson_NoMessages_IsAnEmptyArray()
    {
        Assert.Equal("[]", MessagesCommand.ToJson([]));
    }
}

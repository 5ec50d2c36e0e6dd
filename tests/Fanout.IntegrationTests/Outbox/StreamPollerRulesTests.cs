using System.Text;
using Fanout.AwsShims.Events;
using Fanout.Harness.EventSources;

namespace Fanout.IntegrationTests.Outbox;

/// <summary>The local stream mapping's two rules, without emulators: its filter, and where it reads again from after a
/// partial batch response (as Lambda does: the lowest failed sequence number; an unreadable answer fails the batch).</summary>
[Trait("Category", "Integration")]
public sealed class StreamPollerRulesTests
{
    private static DynamoDbStreamRecord Record(string sequence, string eventName = "INSERT", string? key = "OUTBOX#e") => new()
    {
        EventName = eventName,
        Change = new DynamoDbStreamChange
        {
            SequenceNumber = sequence,
            NewImage = key is null ? null : new Dictionary<string, StreamAttributeValue> { ["pk"] = new() { S = key } },
        },
    };

    private static readonly List<DynamoDbStreamRecord> _batch = [Record("100"), Record("200"), Record("300")];

    [Fact]
    public void IsNewOutboxEntry_InsertOfOutboxItem_IsTrue() => Assert.True(DynamoDbStreamPoller.IsNewOutboxEntry(Record("1")));

    [Fact]
    public void IsNewOutboxEntry_InsertOfAnOrder_IsTrue() => Assert.True(DynamoDbStreamPoller.IsNewOutboxEntry(Record("1", "INSERT", "ORDER#o")));

    [Theory]
    [InlineData("MODIFY", "OUTBOX#e")]
    [InlineData("REMOVE", "OUTBOX#e")]
    [InlineData("MODIFY", "ORDER#o")]
    [InlineData("INSERT", "IDEMPOTENCY#k")]
    [InlineData("INSERT", null)]
    public void IsNewOutboxEntry_AnythingElse_IsFalse(string eventName, string? key) =>
        Assert.False(DynamoDbStreamPoller.IsNewOutboxEntry(Record("1", eventName, key)));

    [Theory]
    [InlineData("INSERT", "OUTBOX#e")]
    [InlineData("MODIFY", "OUTBOX#e")]
    [InlineData("REMOVE", "OUTBOX#e")]
    [InlineData("INSERT", "ORDER#o")]
    [InlineData("INSERT", null)]
    [InlineData("MODIFY", "ORDER#o")]
    public void MayBeNewOutboxEntry_RecordText_TrueExactlyForAnInsertOfARelayedItem(string eventName, string? key)
    {
        var record = Record("1", eventName, key);
        var json = System.Text.Json.JsonSerializer.Serialize(record, Fanout.AwsShims.Json.AwsShimsJsonContext.Default.DynamoDbStreamRecord);

        Assert.Equal(eventName == "INSERT" && key is not null && (key.StartsWith("OUTBOX#", StringComparison.Ordinal) || key.StartsWith("ORDER#", StringComparison.Ordinal)), DynamoDbStreamPoller.MayBeNewOutboxEntry(json));
    }

    [Theory]
    [InlineData("""{"batchItemFailures":[]}""")]
    [InlineData("")]
    [InlineData("null")]
    public void RetryFrom_NoFailures_IsNull(string response) =>
        Assert.Null(DynamoDbStreamPoller.RetryFrom(Encoding.UTF8.GetBytes(response), _batch));

    [Fact]
    public void RetryFrom_SeveralFailures_IsTheEarliestInStreamOrder() =>
        Assert.Equal("200", DynamoDbStreamPoller.RetryFrom("""{"batchItemFailures":[{"itemIdentifier":"300"},{"itemIdentifier":"200"}]}"""u8.ToArray(), _batch));

    [Theory]
    [InlineData("""{"batchItemFailures":[{"itemIdentifier":"999"}]}""")]
    [InlineData("""{"batchItemFailures":[{"itemIdentifier":""}]}""")]
    [InlineData("not json")]
    public void RetryFrom_UnknownRecordOrUnreadable_IsTheWholeBatch(string response) =>
        Assert.Equal("100", DynamoDbStreamPoller.RetryFrom(Encoding.UTF8.GetBytes(response), _batch));
}

using System.Text;
using System.Text.Json;
using Fanout.AwsShims.Events;
using Fanout.AwsShims.Json;
using Fanout.AwsShims.Runtime;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Publishing;
using Fanout.Orders.Outbox;
using Fanout.OutboxRelay;
using Fanout.OutboxRelay.Core;
using Fanout.UnitTests.TestDoubles;
using Microsoft.Extensions.Time.Testing;

namespace Fanout.UnitTests.OutboxRelay;

[Trait("Category", "Unit")]
public sealed class OutboxRelayFunctionTests : IDisposable
{
    private static readonly DateTimeOffset _at = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    // A stream event as Lambda delivers it (Lambda developer guide, DynamoDB example event), NEW_IMAGE view.
    private const string StreamEventJson = """
        {"Records":[
          {"eventID":"a1","eventName":"INSERT","eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":"us-east-1",
           "dynamodb":{"ApproximateCreationDateTime":1796040000,"Keys":{"pk":{"S":"OUTBOX#e-1"}},
             "NewImage":{"pk":{"S":"OUTBOX#e-1"},"orderId":{"S":"o-1"},"eventType":{"S":"OrderPlaced"},"envelope":{"S":"{\"phone\":\"+14155550123\"}"},"n":{"N":"3"},"flag":{"BOOL":true},"list":{"L":[{"S":"x"}]}},
             "SequenceNumber":"111","SizeBytes":120,"StreamViewType":"NEW_IMAGE"},
           "eventSourceARN":"arn:aws:dynamodb:us-east-1:000000000000:table/fanout-orders/stream/2026-11-29T00:00:00.000"},
          {"eventID":"a2","eventName":"INSERT","eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":"us-east-1",
           "dynamodb":{"Keys":{"pk":{"S":"OUTBOX#e-2"}},"NewImage":{"pk":{"S":"OUTBOX#e-2"}},"SequenceNumber":"222","SizeBytes":40,"StreamViewType":"NEW_IMAGE"},
           "eventSourceARN":"arn"},
          {"eventID":"a3","eventName":"MODIFY","eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":"us-east-1",
           "dynamodb":{"Keys":{"pk":{"S":"ORDER#o-1"}},"NewImage":{"pk":{"S":"ORDER#o-1"}},"SequenceNumber":"333","SizeBytes":40,"StreamViewType":"NEW_IMAGE"},
           "eventSourceARN":"arn"}
        ]}
        """;

    private readonly InMemoryOutbox _outbox = new();
    private readonly StringWriter _log = new();

    public void Dispose() => _log.Dispose();

    private OutboxRelayFunction Function(IEventPublisher publisher) =>
        new(new OutboxRelayer(new OutboxDispatcher(_outbox, publisher), new InMemoryOrderStore(), publisher, new FakeTimeProvider(_at)), new FanoutLogger("outboxrelay", new FakeTimeProvider(_at), _log));

    private static OutboxEntry Entry(string eventId) =>
        new(new OutgoingEvent(eventId, "OrderPlaced", "corr-" + eventId, "{\"customer\":{\"phone\":\"+14155550123\"}}"), "o-" + eventId, _at);

    private static LambdaInvocation Invocation => new("req-1", _at.AddSeconds(30), null, null);

    private static StreamsBatchResponse Read(byte[] response) =>
        JsonSerializer.Deserialize(response, AwsShimsJsonContext.Default.StreamsBatchResponse)!;

    [Fact]
    public async Task InvokeAsync_AllRelayed_AnswersNoFailuresAndLogsCounts()
    {
        _outbox.Add(Entry("e-1"));
        var publisher = new RecordingEventPublisher();

        var response = Read(await Function(publisher).InvokeAsync(Encoding.UTF8.GetBytes(StreamEventJson), Invocation, TestContext.Current.CancellationToken));

        Assert.Empty(response.BatchItemFailures);
        Assert.Equal(["e-1"], publisher.Published.Select(e => e.Id));
        using var line = JsonDocument.Parse(_log.ToString());
        Assert.Equal("Outbox relay batch done", line.RootElement.GetProperty("message").GetString());
        Assert.Equal(3, line.RootElement.GetProperty("records").GetInt32());
        Assert.Equal(1, line.RootElement.GetProperty("published").GetInt32());
        Assert.Equal(1, line.RootElement.GetProperty("alreadyPublished").GetInt32());
        Assert.Equal(1, line.RootElement.GetProperty("ignored").GetInt32());
        Assert.Equal("req-1", line.RootElement.GetProperty("requestId").GetString());
    }

    [Fact]
    public async Task InvokeAsync_PublishFails_NamesTheFailedRecordsSequenceNumberOnly()
    {
        _outbox.Add(Entry("e-1"));
        _outbox.Add(Entry("e-2"));
        var publisher = new RecordingEventPublisher { FailWith = new TimeoutException("topic down") };

        var response = Read(await Function(publisher).InvokeAsync(Encoding.UTF8.GetBytes(StreamEventJson), Invocation, TestContext.Current.CancellationToken));

        Assert.Equal(["111"], response.BatchItemFailures.Select(f => f.ItemIdentifier));
        Assert.Equal(1, publisher.Attempts);
        using var line = JsonDocument.Parse(_log.ToString());
        Assert.Equal("Error", line.RootElement.GetProperty("level").GetString());
        Assert.Equal("111", line.RootElement.GetProperty("failedSequenceNumber").GetString());
        Assert.Equal("TimeoutException", line.RootElement.GetProperty("errorType").GetString());
    }

    [Fact]
    public async Task InvokeAsync_AnyOutcome_NeverLogsTheEnvelope()
    {
        _outbox.Add(Entry("e-1"));
        _outbox.Add(Entry("e-2"));
        await Function(new RecordingEventPublisher()).InvokeAsync(Encoding.UTF8.GetBytes(StreamEventJson), Invocation, TestContext.Current.CancellationToken);

        Assert.DoesNotContain("4155550123", _log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_NotJson_Throws()
    {
        await Assert.ThrowsAnyAsync<JsonException>(() => Function(new RecordingEventPublisher()).InvokeAsync("not json"u8.ToArray(), Invocation, TestContext.Current.CancellationToken));
    }

    [Fact]
    public void ToRelayRecord_NewImage_TakesItsKey()
    {
        var record = new DynamoDbStreamRecord
        {
            EventName = "INSERT",
            Change = new DynamoDbStreamChange
            {
                SequenceNumber = "5",
                Keys = { ["pk"] = new StreamAttributeValue { S = "from-keys" } },
                NewImage = new Dictionary<string, StreamAttributeValue> { ["pk"] = new() { S = "OUTBOX#e-9" } },
            },
        };

        Assert.Equal(new RelayRecord("5", "INSERT", "OUTBOX#e-9"), OutboxRelayFunction.ToRelayRecord(record));
    }

    [Fact]
    public void ToRelayRecord_NoNewImage_TakesTheKeyFromKeys()
    {
        var record = new DynamoDbStreamRecord
        {
            EventName = "REMOVE",
            Change = new DynamoDbStreamChange { SequenceNumber = "6", Keys = { ["pk"] = new StreamAttributeValue { S = "OUTBOX#e-8" } } },
        };

        Assert.Equal(new RelayRecord("6", "REMOVE", "OUTBOX#e-8"), OutboxRelayFunction.ToRelayRecord(record));
    }

    [Fact]
    public void ToRelayRecord_NoKeyAnywhere_HasNoKey()
    {
        var record = new DynamoDbStreamRecord { EventName = "INSERT", Change = new DynamoDbStreamChange { SequenceNumber = "7" } };

        Assert.Equal(new RelayRecord("7", "INSERT", null), OutboxRelayFunction.ToRelayRecord(record));
    }

    [Fact]
    public void StreamAttributeValue_Serialized_CarriesOnlyTheMemberThatIsSet()
    {
        var value = new StreamAttributeValue { M = new Dictionary<string, StreamAttributeValue> { ["a"] = new() { S = "x" }, ["b"] = new() { N = "2" } } };

        Assert.Equal("""{"M":{"a":{"S":"x"},"b":{"N":"2"}}}""", JsonSerializer.Serialize(value, AwsShimsJsonContext.Default.StreamAttributeValue));
    }

    [Fact]
    public void ToRelayRecord_CreatedAtInTheNewImage_IsRead()
    {
        var record = new DynamoDbStreamRecord
        {
            EventName = "INSERT",
            Change = new DynamoDbStreamChange
            {
                SequenceNumber = "8",
                NewImage = new Dictionary<string, StreamAttributeValue> { ["pk"] = new() { S = "OUTBOX#e-7" }, ["createdAt"] = new() { S = "2026-11-29T12:00:01.5000000Z" } },
            },
        };

        Assert.Equal(_at.AddMilliseconds(1500), OutboxRelayFunction.ToRelayRecord(record).CreatedAt);
    }

    [Fact]
    public void ToRelayRecord_CreatedAtUnreadable_IsNull()
    {
        var record = new DynamoDbStreamRecord
        {
            EventName = "INSERT",
            Change = new DynamoDbStreamChange
            {
                SequenceNumber = "8",
                NewImage = new Dictionary<string, StreamAttributeValue> { ["pk"] = new() { S = "OUTBOX#e-7" }, ["createdAt"] = new() { S = "yesterday" } },
            },
        };

        Assert.Null(OutboxRelayFunction.ToRelayRecord(record).CreatedAt);
    }
}

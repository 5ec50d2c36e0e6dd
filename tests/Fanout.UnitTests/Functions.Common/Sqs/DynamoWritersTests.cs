using System.Net;
using System.Text.Json;
using Fanout.Functions.Common.Idempotency;
using Fanout.Functions.Common.Sqs;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.Functions.Common.Sqs;

/// <summary>The items the failure recorder and the recording senders write, on a real SDK client with a scripted endpoint.</summary>
[Trait("Category", "Unit")]
public sealed class DynamoWritersTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RecordAsync_PoisonFailure_WritesTheReasonTypeAndCountUnderTheMessageId()
    {
        var http = new CapturingHttpHandler((_, _) => StubAwsClients.Json("{}"));
        var recorder = new DynamoFailureRecorder(StubAwsClients.DynamoDb(http), "fanout-sms", TimeSpan.FromDays(30), TestClock.Create());

        await recorder.RecordAsync("m-1", 3, new Fanout.Contracts.Events.PoisonMessageException("SNS refused: InvalidParameter"), poison: true, Ct);

        var item = Item(http);
        Assert.Equal("FAILURE#m-1", item.GetProperty("pk").GetProperty("S").GetString());
        Assert.Equal("m-1", item.GetProperty("messageId").GetProperty("S").GetString());
        Assert.Equal("SNS refused: InvalidParameter", item.GetProperty("reason").GetProperty("S").GetString());
        Assert.Equal("PoisonMessageException", item.GetProperty("errorType").GetProperty("S").GetString());
        Assert.True(item.GetProperty("poison").GetProperty("BOOL").GetBoolean());
        Assert.Equal("3", item.GetProperty("receiveCount").GetProperty("N").GetString());
        Assert.Equal("2026-03-14T09:26:53.0000000+00:00", item.GetProperty("recordedAt").GetProperty("S").GetString());
        Assert.Equal(TestClock.Start.AddDays(30).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), item.GetProperty("expiresAt").GetProperty("N").GetString());
    }

    [Theory]
    [InlineData(1000, 1000)]
    [InlineData(1001, 1000)]
    public async Task RecordAsync_LongReason_KeepsTheFirstThousandCharacters(int length, int kept)
    {
        var http = new CapturingHttpHandler((_, _) => StubAwsClients.Json("{}"));
        var recorder = new DynamoFailureRecorder(StubAwsClients.DynamoDb(http), "fanout-sms", TimeSpan.FromDays(30), TestClock.Create());

        await recorder.RecordAsync("m-1", 1, new TimeoutException(new string('x', length)), poison: false, Ct);

        Assert.Equal(kept, Item(http).GetProperty("reason").GetProperty("S").GetString()!.Length);
        Assert.False(Item(http).GetProperty("poison").GetProperty("BOOL").GetBoolean());
    }

    [Fact]
    public async Task RecordAsync_NewOrder_WritesOneConditionalItemAndReturnsTheRecordId()
    {
        var http = new CapturingHttpHandler((_, _) => StubAwsClients.Json("{}"));
        var messages = new RecordedMessages(StubAwsClients.DynamoDb(http), "fanout-sms", "SMS#", "sms", TestClock.Create());

        var id = await messages.RecordAsync("o-1", "ORDER_CANCELLED", new Dictionary<string, string> { ["to"] = "+1555", ["text"] = "hi" }, null, Ct);

        Assert.Equal("record-o-1-ORDER_CANCELLED", id);
        var request = JsonDocument.Parse(http.Requests[0].BodyText).RootElement;
        Assert.Equal("attribute_not_exists(#pk)", request.GetProperty("ConditionExpression").GetString());
        var item = request.GetProperty("Item");
        Assert.Equal("SMS#o-1#ORDER_CANCELLED", item.GetProperty("pk").GetProperty("S").GetString());
        Assert.Equal("SMS#o-1#ORDER_CANCELLED", messages.KeyFor("o-1", "ORDER_CANCELLED"));
        Assert.Equal("sms", item.GetProperty("channel").GetProperty("S").GetString());
        Assert.Equal("ORDER_CANCELLED", item.GetProperty("notification").GetProperty("S").GetString());
        Assert.Equal(8, item.EnumerateObject().Count());
        Assert.Equal("+1555", item.GetProperty("to").GetProperty("S").GetString());
        Assert.Equal("hi", item.GetProperty("text").GetProperty("S").GetString());
        Assert.Equal("record-o-1-ORDER_CANCELLED", item.GetProperty("messageId").GetProperty("S").GetString());
        Assert.Equal("o-1", item.GetProperty("orderId").GetProperty("S").GetString());
        Assert.Equal("2026-03-14T09:26:53.0000000+00:00", item.GetProperty("sentAt").GetProperty("S").GetString());
        Assert.Equal("fanout-sms", request.GetProperty("TableName").GetString());
        var name = Assert.Single(request.GetProperty("ExpressionAttributeNames").EnumerateObject());
        Assert.Equal(("#pk", "pk"), (name.Name, name.Value.GetString()));
    }

    [Fact]
    public async Task RecordAsync_AlreadyRecorded_ReturnsTheSameIdQuietly()
    {
        var http = new CapturingHttpHandler((_, _) => StubAwsClients.Json(
            "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException\",\"message\":\"exists\"}", HttpStatusCode.BadRequest));
        var messages = new RecordedMessages(StubAwsClients.DynamoDb(http), "fanout-sms", "SMS#", "sms", TestClock.Create());

        Assert.Equal("record-o-1-ORDER_RECEIVED", await messages.RecordAsync("o-1", "ORDER_RECEIVED", new Dictionary<string, string>(), null, Ct));
    }

    private static readonly SendStamp _stamp = new("evt-1", "hash-1", "corr-1", DateTimeOffset.Parse("2026-03-14T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    private static CapturingHttpHandler ConditionFailedWith(string oldItemJson) => new((_, _) => StubAwsClients.Json(
        "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException\",\"message\":\"exists\",\"Item\":" + oldItemJson + "}", HttpStatusCode.BadRequest));

    [Fact]
    public async Task RecordAsync_WithStamp_OneConditionalPutCarriesTheIdempotencyRecord()
    {
        var http = new CapturingHttpHandler((_, _) => StubAwsClients.Json("{}"));
        var messages = new RecordedMessages(StubAwsClients.DynamoDb(http), "fanout-sms", "SMS#", "sms", TestClock.Create());

        await messages.RecordAsync("o-1", "ORDER_RECEIVED", new Dictionary<string, string> { ["to"] = "+1555", ["text"] = "hi" }, _stamp, Ct);

        var request = JsonDocument.Parse(Assert.Single(http.Requests).BodyText).RootElement;
        var item = request.GetProperty("Item");
        Assert.Equal(("evt-1", "hash-1", "corr-1"), (item.GetProperty("eventId").GetProperty("S").GetString(), item.GetProperty("payloadHash").GetProperty("S").GetString(), item.GetProperty("correlationId").GetProperty("S").GetString()));
        Assert.Equal("2026-03-14T09:00:00.0000000+00:00", item.GetProperty("sentAt").GetProperty("S").GetString());
        Assert.Equal("ALL_OLD", request.GetProperty("ReturnValuesOnConditionCheckFailure").GetString());
        Assert.Equal("attribute_not_exists(#pk)", request.GetProperty("ConditionExpression").GetString());
    }

    [Fact]
    public async Task RecordAsync_WithStampAlreadyRecorded_ThrowsAlreadySentWithTheFirstSendsValues()
    {
        var http = ConditionFailedWith("{\"messageId\":{\"S\":\"record-o-1-ORDER_RECEIVED\"},\"sentAt\":{\"S\":\"2026-03-14T08:00:00.0000000+00:00\"},\"eventId\":{\"S\":\"evt-1\"},\"payloadHash\":{\"S\":\"hash-1\"},\"correlationId\":{\"S\":\"corr-0\"}}");
        var messages = new RecordedMessages(StubAwsClients.DynamoDb(http), "fanout-sms", "SMS#", "sms", TestClock.Create());

        var sent = await Assert.ThrowsAsync<AlreadySentException>(() => messages.RecordAsync("o-1", "ORDER_RECEIVED", new Dictionary<string, string>(), _stamp, Ct));

        Assert.Equal(("record-o-1-ORDER_RECEIVED", "corr-0"), (sent.MessageId, sent.CorrelationId));
        Assert.Equal(DateTimeOffset.Parse("2026-03-14T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture), sent.SentAt);
    }

    [Fact]
    public async Task RecordAsync_WithStampSameEventOtherPayload_IsPoison()
    {
        var http = ConditionFailedWith("{\"messageId\":{\"S\":\"record-o-1-ORDER_RECEIVED\"},\"eventId\":{\"S\":\"evt-1\"},\"payloadHash\":{\"S\":\"other\"}}");
        var messages = new RecordedMessages(StubAwsClients.DynamoDb(http), "fanout-sms", "SMS#", "sms", TestClock.Create());

        await Assert.ThrowsAsync<Fanout.Contracts.Events.PoisonMessageException>(() => messages.RecordAsync("o-1", "ORDER_RECEIVED", new Dictionary<string, string>(), _stamp, Ct));
    }

    [Fact]
    public async Task Constructors_MissingDependency_Throw()
    {
        var dynamo = StubAwsClients.DynamoDb(new CapturingHttpHandler((_, _) => StubAwsClients.Json("{}")));
        var time = TestClock.Create();

        Assert.Throws<ArgumentNullException>(() => new DynamoFailureRecorder(null!, "fanout-sms", TimeSpan.FromDays(30), time));
        Assert.ThrowsAny<ArgumentException>(() => new DynamoFailureRecorder(dynamo, " ", TimeSpan.FromDays(30), time));
        Assert.Throws<ArgumentNullException>(() => new DynamoFailureRecorder(dynamo, "fanout-sms", TimeSpan.FromDays(30), null!));
        Assert.Throws<ArgumentNullException>(() => new RecordedMessages(null!, "fanout-sms", "SMS#", "sms", time));
        Assert.ThrowsAny<ArgumentException>(() => new RecordedMessages(dynamo, " ", "SMS#", "sms", time));
        Assert.ThrowsAny<ArgumentException>(() => new RecordedMessages(dynamo, "fanout-sms", " ", "sms", time));
        Assert.ThrowsAny<ArgumentException>(() => new RecordedMessages(dynamo, "fanout-sms", "SMS#", " ", time));
        Assert.Throws<ArgumentNullException>(() => new RecordedMessages(dynamo, "fanout-sms", "SMS#", "sms", null!));
        await Assert.ThrowsAsync<ArgumentNullException>(() => new DynamoFailureRecorder(dynamo, "fanout-sms", TimeSpan.FromDays(30), time).RecordAsync("m-1", 1, null!, poison: false, Ct));
        await Assert.ThrowsAsync<ArgumentNullException>(() => new RecordedMessages(dynamo, "fanout-sms", "SMS#", "sms", time).RecordAsync("o-1", "ORDER_RECEIVED", null!, null, Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => new RecordedMessages(dynamo, "fanout-sms", "SMS#", "sms", time).RecordAsync("o-1", " ", new Dictionary<string, string>(), null, Ct));
    }

    private static JsonElement Item(CapturingHttpHandler http) => JsonDocument.Parse(http.Requests[^1].BodyText).RootElement.GetProperty("Item");
}

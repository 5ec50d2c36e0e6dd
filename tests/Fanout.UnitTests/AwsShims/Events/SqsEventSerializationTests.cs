using System.Text.Json;
using Fanout.AwsShims.Events;
using Fanout.AwsShims.Json;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.AwsShims.Events;

[Trait("Category", "Unit")]
public sealed class SqsEventSerializationTests
{
    [Fact]
    public void Deserialize_AwsSampleEvent_ReadsEveryField()
    {
        var sqsEvent = JsonSerializer.Deserialize(SampleEvents.Read(SampleEvents.Sqs), AwsShimsJsonContext.Default.SqsEvent)!;

        Assert.Equal(3, sqsEvent.Records.Count);
        AssertFirstRecord(sqsEvent.Records[0]);
        Assert.Equal(3, sqsEvent.Records[1].ApproximateReceiveCount);
        Assert.Empty(sqsEvent.Records[1].MessageAttributes);
        Assert.Equal("{\"foo\":\"bar\"}", sqsEvent.Records[2].Body);
        Assert.Equal("myValue", sqsEvent.Records[2].GetStringAttribute("myAttribute"));
    }

    [Fact]
    public void Serialize_AwsSampleEvent_RoundTripsWithAwsFieldNames()
    {
        var original = JsonSerializer.Deserialize(SampleEvents.Read(SampleEvents.Sqs), AwsShimsJsonContext.Default.SqsEvent)!;

        var json = JsonSerializer.Serialize(original, AwsShimsJsonContext.Default.SqsEvent);
        var again = JsonSerializer.Deserialize(json, AwsShimsJsonContext.Default.SqsEvent)!;

        AssertFirstRecord(again.Records[0]);
        using var document = JsonDocument.Parse(json);
        var record = document.RootElement.GetProperty("Records")[0];
        Assert.Equal("arn:aws:sqs:us-east-2:123456789012:my-queue", record.GetProperty("eventSourceARN").GetString());
        Assert.Equal("String", record.GetProperty("messageAttributes").GetProperty("type").GetProperty("dataType").GetString());
        Assert.Equal("1545082649183", record.GetProperty("attributes").GetProperty("SentTimestamp").GetString());
    }

    [Theory]
    [InlineData(null, 0)]
    [InlineData("7", 7)]
    [InlineData("many", 0)]
    public void ApproximateReceiveCount_Attribute_IsParsedOrZero(string? raw, int expected)
    {
        var message = new SqsMessage();
        if (raw is not null)
        {
            message.Attributes["ApproximateReceiveCount"] = raw;
        }

        Assert.Equal(expected, message.ApproximateReceiveCount);
    }

    [Fact]
    public void GetStringAttribute_Absent_ReturnsNull()
    {
        Assert.Null(new SqsMessage().GetStringAttribute("type"));
    }

    [Fact]
    public void Serialize_BatchResponse_UsesTheDocumentedShape()
    {
        var response = new SqsBatchResponse { BatchItemFailures = [new BatchItemFailure { ItemIdentifier = "m-1" }] };

        Assert.Equal("{\"batchItemFailures\":[{\"itemIdentifier\":\"m-1\"}]}", JsonSerializer.Serialize(response, AwsShimsJsonContext.Default.SqsBatchResponse));
        Assert.Equal("{\"batchItemFailures\":[]}", JsonSerializer.Serialize(new SqsBatchResponse(), AwsShimsJsonContext.Default.SqsBatchResponse));
    }

    private static void AssertFirstRecord(SqsMessage record)
    {
        Assert.Equal("059f36b4-87a3-44ab-83d2-661975830a7d", record.MessageId);
        Assert.Equal("AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a...", record.ReceiptHandle);
        Assert.Equal("test", record.Body);
        Assert.Equal(1, record.ApproximateReceiveCount);
        Assert.Equal("1545082649183", record.Attributes["SentTimestamp"]);
        Assert.Equal("AIDAIENQZJOLO23YVJ4VO", record.Attributes["SenderId"]);
        Assert.Equal("1545082649185", record.Attributes["ApproximateFirstReceiveTimestamp"]);
        Assert.Equal("OrderPlaced", record.GetStringAttribute("type"));
        Assert.Equal("corr-sample-1", record.GetStringAttribute("correlationId"));
        var attribute = record.MessageAttributes["type"];
        Assert.Equal("String", attribute.DataType);
        Assert.Empty(attribute.StringListValues);
        Assert.Empty(attribute.BinaryListValues);
        Assert.Equal("098f6bcd4621d373cade4e832627b4f6", record.Md5OfBody);
        Assert.Equal("aws:sqs", record.EventSource);
        Assert.Equal("arn:aws:sqs:us-east-2:123456789012:my-queue", record.EventSourceArn);
        Assert.Equal("us-east-2", record.AwsRegion);
    }
}

using Fanout.AwsShims.Events;
using Fanout.Contracts.Events;

namespace Fanout.UnitTests.TestEvents;

/// <summary>Builds the SQS events Lambda's event source mapping delivers, with the attributes SNS raw delivery sets.</summary>
internal sealed class SqsEventBuilder
{
    private const string QueueArn = "arn:aws:sqs:eu-west-1:123456789012:fanout-test";
    private readonly List<SqsMessage> _records = [];

    public SqsEventBuilder WithRecord(string messageId, string body, string? type = null, string? correlationId = null, int receiveCount = 1)
    {
        var record = new SqsMessage
        {
            MessageId = messageId,
            ReceiptHandle = "receipt-" + messageId,
            Body = body,
            Attributes = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["ApproximateReceiveCount"] = receiveCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["SentTimestamp"] = "1773480413000",
                ["SenderId"] = "AIDAIENQZJOLO23YVJ4VO",
                ["ApproximateFirstReceiveTimestamp"] = "1773480413005",
            },
            EventSource = "aws:sqs",
            EventSourceArn = QueueArn,
            AwsRegion = "eu-west-1",
        };
        if (type is not null)
        {
            record.MessageAttributes[EventAttributes.Type] = new SqsMessageAttributeValue { StringValue = type };
        }

        if (correlationId is not null)
        {
            record.MessageAttributes[EventAttributes.CorrelationId] = new SqsMessageAttributeValue { StringValue = correlationId };
        }

        _records.Add(record);
        return this;
    }

    public SqsEvent Build() => new() { Records = [.. _records] };
}

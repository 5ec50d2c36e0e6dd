using System.Text.Json.Serialization;

namespace Fanout.AwsShims.Events;

/// <summary>The event Lambda's SQS event source mapping delivers (shape of AWS's documented JSON).</summary>
public sealed class SqsEvent
{
    [JsonPropertyName("Records")]
    public List<SqsMessage> Records { get; set; } = [];
}

/// <summary>One SQS record inside <see cref="SqsEvent"/>.</summary>
public sealed class SqsMessage
{
    [JsonPropertyName("messageId")]
    public string MessageId { get; set; } = "";

    [JsonPropertyName("receiptHandle")]
    public string ReceiptHandle { get; set; } = "";

    [JsonPropertyName("body")]
    public string Body { get; set; } = "";

    [JsonPropertyName("attributes")]
    public Dictionary<string, string> Attributes { get; set; } = [];

    [JsonPropertyName("messageAttributes")]
    public Dictionary<string, SqsMessageAttributeValue> MessageAttributes { get; set; } = [];

    [JsonPropertyName("md5OfBody")]
    public string? Md5OfBody { get; set; }

    [JsonPropertyName("md5OfMessageAttributes")]
    public string? Md5OfMessageAttributes { get; set; }

    [JsonPropertyName("eventSource")]
    public string EventSource { get; set; } = "aws:sqs";

    [JsonPropertyName("eventSourceARN")]
    public string EventSourceArn { get; set; } = "";

    [JsonPropertyName("awsRegion")]
    public string AwsRegion { get; set; } = "";

    /// <summary>How many times SQS has handed this message out, from the <c>ApproximateReceiveCount</c> attribute.</summary>
    [JsonIgnore]
    public int ApproximateReceiveCount =>
        Attributes.TryGetValue("ApproximateReceiveCount", out var raw) && int.TryParse(raw, out var count) ? count : 0;

    /// <summary>The string value of a message attribute, or null when it is absent.</summary>
    public string? GetStringAttribute(string name) =>
        MessageAttributes.TryGetValue(name, out var attribute) ? attribute.StringValue : null;
}

/// <summary>A message attribute as Lambda spells it (camelCase, unlike the SQS API).</summary>
public sealed class SqsMessageAttributeValue
{
    [JsonPropertyName("stringValue")]
    public string? StringValue { get; set; }

    [JsonPropertyName("binaryValue")]
    public string? BinaryValue { get; set; }

    [JsonPropertyName("stringListValues")]
    public List<string> StringListValues { get; set; } = [];

    [JsonPropertyName("binaryListValues")]
    public List<string> BinaryListValues { get; set; } = [];

    [JsonPropertyName("dataType")]
    public string DataType { get; set; } = "String";
}

/// <summary>The partial batch response: only the listed records are retried.</summary>
public sealed class SqsBatchResponse
{
    [JsonPropertyName("batchItemFailures")]
    public List<BatchItemFailure> BatchItemFailures { get; set; } = [];
}

/// <summary>One failed record, named by its SQS message id.</summary>
public sealed class BatchItemFailure
{
    [JsonPropertyName("itemIdentifier")]
    public string ItemIdentifier { get; set; } = "";
}

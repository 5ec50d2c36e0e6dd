using System.Text.Json.Serialization;

namespace Fanout.AwsShims.Events;

/// <summary>The event Lambda's DynamoDB Streams event source mapping delivers (shape of AWS's documented JSON,
/// "Using AWS Lambda with Amazon DynamoDB" in the Lambda developer guide).</summary>
public sealed class DynamoDbStreamEvent
{
    [JsonPropertyName("Records")]
    public List<DynamoDbStreamRecord> Records { get; set; } = [];
}

/// <summary>One stream record: <c>eventName</c> is <c>INSERT</c>, <c>MODIFY</c> or <c>REMOVE</c>.</summary>
public sealed class DynamoDbStreamRecord
{
    /// <summary>The <see cref="EventName"/> of a new item.</summary>
    public const string Insert = "INSERT";

    [JsonPropertyName("eventID")]
    public string EventId { get; set; } = "";

    [JsonPropertyName("eventName")]
    public string EventName { get; set; } = "";

    [JsonPropertyName("eventVersion")]
    public string EventVersion { get; set; } = "1.1";

    [JsonPropertyName("eventSource")]
    public string EventSource { get; set; } = "aws:dynamodb";

    [JsonPropertyName("awsRegion")]
    public string AwsRegion { get; set; } = "";

    [JsonPropertyName("dynamodb")]
    public DynamoDbStreamChange Change { get; set; } = new();

    [JsonPropertyName("eventSourceARN")]
    public string EventSourceArn { get; set; } = "";
}

/// <summary>The <c>dynamodb</c> part of a record: the item's keys, its new image (stream view type
/// <c>NEW_IMAGE</c> or <c>NEW_AND_OLD_IMAGES</c>) and the record's sequence number, which names it in a partial
/// batch response.</summary>
public sealed class DynamoDbStreamChange
{
    /// <summary>When the change was made, in epoch seconds.</summary>
    [JsonPropertyName("ApproximateCreationDateTime")]
    public double ApproximateCreationDateTime { get; set; }

    [JsonPropertyName("Keys")]
    public Dictionary<string, StreamAttributeValue> Keys { get; set; } = [];

    [JsonPropertyName("NewImage")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, StreamAttributeValue>? NewImage { get; set; }

    [JsonPropertyName("SequenceNumber")]
    public string SequenceNumber { get; set; } = "";

    [JsonPropertyName("SizeBytes")]
    public long SizeBytes { get; set; }

    [JsonPropertyName("StreamViewType")]
    public string StreamViewType { get; set; } = "NEW_IMAGE";
}

/// <summary>A DynamoDB attribute value in its JSON wire form (<c>{"S": "text"}</c>, <c>{"N": "12"}</c>, ...): exactly
/// one member is set; the others are left out.</summary>
public sealed class StreamAttributeValue
{
    [JsonPropertyName("S")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? S { get; set; }

    /// <summary>A number, as DynamoDB sends it: decimal text.</summary>
    [JsonPropertyName("N")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? N { get; set; }

    /// <summary>Binary, base64.</summary>
    [JsonPropertyName("B")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? B { get; set; }

    [JsonPropertyName("BOOL")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Bool { get; set; }

    [JsonPropertyName("NULL")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Null { get; set; }

    [JsonPropertyName("SS")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? SS { get; set; }

    [JsonPropertyName("NS")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? NS { get; set; }

    [JsonPropertyName("BS")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? BS { get; set; }

    [JsonPropertyName("M")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, StreamAttributeValue>? M { get; set; }

    [JsonPropertyName("L")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<StreamAttributeValue>? L { get; set; }
}

/// <summary>The partial batch response of a stream function (<c>FunctionResponseTypes: ReportBatchItemFailures</c>):
/// each failure names a record by its <see cref="DynamoDbStreamChange.SequenceNumber"/>; Lambda checkpoints before the
/// lowest one named and retries from there. An empty list means the whole batch succeeded.</summary>
public sealed class StreamsBatchResponse
{
    [JsonPropertyName("batchItemFailures")]
    public List<BatchItemFailure> BatchItemFailures { get; set; } = [];
}

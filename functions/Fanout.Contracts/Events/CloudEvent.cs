using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fanout.Contracts.Events;

/// <summary>A CloudEvents 1.0 JSON envelope with the <c>correlationid</c> extension and, when the publisher ran inside a
/// trace, the distributed-tracing extension <c>traceparent</c> (CloudEvents "Distributed Tracing" extension; W3C Trace
/// Context §3.2).</summary>
/// <typeparam name="T">The <c>data</c> payload type.</typeparam>
public sealed class CloudEvent<T>
{
    public const string SpecVersion10 = "1.0";

    [JsonPropertyName("specversion")]
    public string SpecVersion { get; set; } = SpecVersion10;

    [JsonPropertyName("id")]
    public string Id { get; set; } = "";

    [JsonPropertyName("source")]
    public string Source { get; set; } = "";

    [JsonPropertyName("type")]
    public string Type { get; set; } = "";

    /// <summary>The order the event is about (CloudEvents <c>subject</c>).</summary>
    [JsonPropertyName("subject")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Subject { get; set; }

    [JsonPropertyName("time")]
    public DateTimeOffset Time { get; set; }

    [JsonPropertyName("datacontenttype")]
    public string DataContentType { get; set; } = "application/json";

    [JsonPropertyName("correlationid")]
    public string CorrelationId { get; set; } = "";

    /// <summary>The W3C <c>traceparent</c> of the publish (<see cref="TraceContext"/>); left out when null.</summary>
    [JsonPropertyName("traceparent")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TraceParent { get; set; }

    [JsonPropertyName("data")]
    public T? Data { get; set; }
}

/// <summary>An envelope whose <c>data</c> is still raw JSON: consumers read <c>type</c> first, then bind
/// <c>data</c> to the matching payload.</summary>
public sealed class RawCloudEvent
{
    [JsonPropertyName("specversion")]
    public string? SpecVersion { get; set; }

    [JsonPropertyName("id")]
    public string? Id { get; set; }

    [JsonPropertyName("source")]
    public string? Source { get; set; }

    [JsonPropertyName("type")]
    public string? Type { get; set; }

    [JsonPropertyName("subject")]
    public string? Subject { get; set; }

    [JsonPropertyName("time")]
    public DateTimeOffset? Time { get; set; }

    [JsonPropertyName("datacontenttype")]
    public string? DataContentType { get; set; }

    [JsonPropertyName("correlationid")]
    public string? CorrelationId { get; set; }

    /// <summary>The W3C <c>traceparent</c> of the publish, when the publisher ran inside a trace.</summary>
    [JsonPropertyName("traceparent")]
    public string? TraceParent { get; set; }

    [JsonPropertyName("data")]
    public JsonElement Data { get; set; }
}

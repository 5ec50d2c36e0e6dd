using System.Globalization;
using System.Text.Json;
using Fanout.Contracts.Topology;

namespace Fanout.Cli.Trace;

/// <summary>What a line of a function's stdout says, as far as <c>trace</c> and <c>watch</c> need: either a
/// <c>FanoutLogger</c> line (<c>timestamp</c>, <c>level</c>, <c>service</c>, <c>message</c>, fields) or a CloudWatch
/// Embedded Metric Format line (<c>_aws.Timestamp</c> in epoch ms, dimensions <c>Service</c> and <c>EventType</c>,
/// metrics from <see cref="FanoutMetrics"/>, string properties). Every member but <see cref="At"/> may be missing.</summary>
internal sealed record FunctionLogLine
{
    /// <summary>True for an EMF line (it has an <c>_aws</c> member).</summary>
    public bool IsMetrics { get; init; }

    /// <summary>When the line was written (<c>timestamp</c>, or EMF's <c>_aws.Timestamp</c>).</summary>
    public DateTimeOffset At { get; init; }

    /// <summary>The function's service (<c>orders</c>, <c>sms</c>, <c>email</c>, <c>inventory</c>, <c>orderstatus</c>…).</summary>
    public string? Service { get; init; }

    public string? Level { get; init; }

    public string? Message { get; init; }

    public string? OrderId { get; init; }

    public string? CorrelationId { get; init; }

    /// <summary>The W3C <c>traceparent</c> of the hop in progress.</summary>
    public string? TraceParent { get; init; }

    /// <summary>The 32-hex-digit trace id of <see cref="TraceParent"/>, when it is valid.</summary>
    public string? TraceId { get; init; }

    /// <summary>The CloudEvents <c>type</c> (EMF dimension <c>EventType</c>).</summary>
    public string? EventType { get; init; }

    public string? EventId { get; init; }

    /// <summary>The SQS message id of a consumer's record.</summary>
    public string? MessageId { get; init; }

    /// <summary><c>handled</c>, <c>duplicate</c>, <c>poison</c> or <c>failed</c> (consumer EMF lines).</summary>
    public string? Outcome { get; init; }

    /// <summary>SQS <c>ApproximateReceiveCount</c> of the record.</summary>
    public int? ReceiveCount { get; init; }

    /// <summary>When the consumer started handling the record.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    public double? QueueWaitMs { get; init; }

    public double? ProcessingMs { get; init; }

    /// <summary>Order status: ms from the <c>OrderPlaced</c> <c>time</c> to this outcome's apply.</summary>
    public double? EndToEndMs { get; init; }

    /// <summary>Order status: the service whose outcome was applied (the lower-case <c>service</c> property).</summary>
    public string? AppliedService { get; init; }

    public DateTimeOffset? AppliedAt { get; init; }

    /// <summary>A consumer's per-record line (it carries <c>Received</c>).</summary>
    public bool IsRecord { get; init; }

    /// <summary>A publish line (it carries <c>Published</c>).</summary>
    public bool IsPublish { get; init; }

    /// <summary><c>Retried</c> was 1: the record had been received before.</summary>
    public bool Retried { get; init; }
}

/// <summary>Reads <see cref="FunctionLogLine"/>s. Tolerant by design: a line that is not a JSON object, or has no
/// usable time, is skipped (null); a member of the wrong kind is treated as missing. Numbers may come as JSON numbers
/// or as strings (EMF properties are strings).</summary>
internal static class FunctionLogParser
{
    private static readonly JsonDocumentOptions _options = new() { MaxDepth = 16 };

    /// <summary>The line, or null when it is not a function log or EMF line.</summary>
    public static FunctionLogLine? TryParse(string? line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return null;
        }

        var trimmed = line.AsSpan().TrimStart();
        if (trimmed.Length == 0 || trimmed[0] != '{')
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(line, _options);
            return document.RootElement.ValueKind == JsonValueKind.Object ? Read(document.RootElement) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static FunctionLogLine? Read(JsonElement root)
    {
        var isMetrics = root.TryGetProperty("_aws", out var aws) && aws.ValueKind == JsonValueKind.Object;
        DateTimeOffset? at = isMetrics
            ? Number(aws, "Timestamp") is { } ms && ms is >= 0 and < 253402300800000 ? DateTimeOffset.FromUnixTimeMilliseconds((long)ms) : null
            : Time(root, "timestamp");
        if (at is null)
        {
            return null;
        }

        var traceParent = Text(root, "traceparent");
        return new FunctionLogLine
        {
            IsMetrics = isMetrics,
            At = at.Value,
            Service = isMetrics ? Text(root, FanoutMetrics.ServiceDimension) : Text(root, "service"),
            Level = Text(root, "level"),
            Message = Text(root, "message"),
            OrderId = Text(root, "orderId"),
            CorrelationId = Text(root, "correlationId"),
            TraceParent = traceParent,
            TraceId = TraceParent.TraceIdOf(traceParent),
            EventType = isMetrics ? Text(root, FanoutMetrics.EventTypeDimension) : Text(root, "type"),
            EventId = Text(root, "eventId"),
            MessageId = Text(root, "messageId"),
            Outcome = Text(root, "outcome"),
            ReceiveCount = Number(root, "receiveCount") is { } count && count is >= 0 and <= int.MaxValue ? (int)count : null,
            StartedAt = Time(root, "startedAt"),
            QueueWaitMs = isMetrics ? Number(root, FanoutMetrics.QueueWaitTime) : null,
            ProcessingMs = isMetrics ? Number(root, FanoutMetrics.ProcessingTime) : null,
            EndToEndMs = isMetrics ? Number(root, FanoutMetrics.EndToEndLatency) : null,
            AppliedService = isMetrics ? Text(root, "service") : null,
            AppliedAt = Time(root, "appliedAt"),
            IsRecord = isMetrics && Number(root, FanoutMetrics.Received) is > 0,
            IsPublish = isMetrics && Number(root, FanoutMetrics.Published) is > 0,
            Retried = isMetrics && Number(root, FanoutMetrics.Retried) is > 0,
        };
    }

    private static string? Text(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : null;

    private static double? Number(JsonElement parent, string name)
    {
        if (!parent.TryGetProperty(name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.Number when value.TryGetDouble(out var number) && double.IsFinite(number) => number,
            JsonValueKind.String when double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && double.IsFinite(parsed) => parsed,
            _ => null,
        };
    }

    private static DateTimeOffset? Time(JsonElement parent, string name) =>
        Text(parent, name) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at) ? at : null;
}

/// <summary>The W3C Trace Context <c>traceparent</c> header (W3C Recommendation "Trace Context", section 3.2):
/// <c>version "-" trace-id "-" parent-id "-" trace-flags</c>, lower-case hex of 2, 32, 16 and 2 digits.</summary>
internal static class TraceParent
{
    /// <summary>The trace id, or null when <paramref name="value"/> is not a valid <c>traceparent</c> (wrong shape,
    /// version <c>ff</c>, or an all-zero trace or parent id, which the Recommendation declares invalid).</summary>
    public static string? TraceIdOf(string? value)
    {
        if (value is null || value.Length < 55)
        {
            return null;
        }

        var version = value.AsSpan(0, 2);
        var traceId = value.AsSpan(3, 32);
        var parentId = value.AsSpan(36, 16);
        var flags = value.AsSpan(53, 2);
        var wellFormed = value[2] == '-' && value[35] == '-' && value[52] == '-'
            && IsHex(version) && !version.SequenceEqual("ff") && IsHex(traceId) && IsHex(parentId) && IsHex(flags)
            && traceId.ContainsAnyExcept('0') && parentId.ContainsAnyExcept('0')
            // Version 00 is exactly 55 characters; a later version may append "-" and more fields.
            && (value.Length == 55 ? true : !version.SequenceEqual("00") && value[55] == '-');
        return wellFormed ? traceId.ToString() : null;
    }

    private static bool IsHex(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }
}

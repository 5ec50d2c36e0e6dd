using System.Text.Json.Serialization;

namespace Fanout.Cli.Trace;

/// <summary>The kinds of hop in one order's journey (the <c>hop</c> member of <c>fanout trace --json</c>).</summary>
internal static class HopKinds
{
    /// <summary>Order intake accepted the order (its "Order accepted" log line).</summary>
    public const string Accepted = "accepted";

    /// <summary>A function published an event (an EMF line with <c>Published</c>).</summary>
    public const string Published = "published";

    /// <summary>A consumer handled one SQS record (an EMF line with <c>Received</c>): queue wait, processing, outcome.</summary>
    public const string Consumed = "consumed";

    /// <summary>Order status applied a service's outcome to the order (an EMF line with <c>EndToEndLatency</c>).</summary>
    public const string Applied = "applied";

    /// <summary>The first moment every tracked service (inventory, sms, email) had its outcome applied.</summary>
    public const string Completed = "completed";

    /// <summary>A warning or error a function logged about the order.</summary>
    public const string Log = "log";
}

/// <summary>One hop of <c>fanout trace</c>. JSON shape (members that do not apply are left out):
/// <c>{"at":"2026-11-29T10:00:00.012+00:00","service":"sms","hop":"consumed","eventType":"OrderPlaced",
/// "queueWaitMs":3,"processingMs":5,"outcome":"handled","receiveCount":1,"retried":false,"traceId":"4bf9…",
/// "eventId":"…","messageId":"…"}</c>. <c>at</c> is RFC 3339 UTC; for a consumed record it is when handling started.</summary>
internal sealed record TraceHop
{
    [JsonPropertyName("at")]
    public DateTimeOffset At { get; init; }

    /// <summary>The function's service: <c>orders</c> (intake), <c>sms</c>, <c>email</c>, <c>inventory</c>,
    /// <c>orderstatus</c>.</summary>
    [JsonPropertyName("service")]
    public string Service { get; init; } = "";

    /// <summary>One of <see cref="HopKinds"/>.</summary>
    [JsonPropertyName("hop")]
    public string Hop { get; init; } = "";

    [JsonPropertyName("eventType")]
    public string? EventType { get; init; }

    [JsonPropertyName("queueWaitMs")]
    public double? QueueWaitMs { get; init; }

    [JsonPropertyName("processingMs")]
    public double? ProcessingMs { get; init; }

    /// <summary>For <c>applied</c> and <c>completed</c>: ms from the order's <c>OrderPlaced</c> time.</summary>
    [JsonPropertyName("endToEndMs")]
    public double? EndToEndMs { get; init; }

    /// <summary>For <c>applied</c>: whose outcome (inventory, sms, email).</summary>
    [JsonPropertyName("forService")]
    public string? ForService { get; init; }

    /// <summary>For <c>consumed</c>: handled, duplicate, poison or failed.</summary>
    [JsonPropertyName("outcome")]
    public string? Outcome { get; init; }

    [JsonPropertyName("receiveCount")]
    public int? ReceiveCount { get; init; }

    [JsonPropertyName("retried")]
    public bool? Retried { get; init; }

    /// <summary>The W3C trace id (32 hex digits) the hop ran under.</summary>
    [JsonPropertyName("traceId")]
    public string? TraceId { get; init; }

    [JsonPropertyName("eventId")]
    public string? EventId { get; init; }

    [JsonPropertyName("messageId")]
    public string? MessageId { get; init; }

    /// <summary>For <c>log</c>: the level and message.</summary>
    [JsonPropertyName("message")]
    public string? Message { get; init; }
}

/// <summary>Rebuilds one order's journey from function log lines, per the log line contract: take the lines whose
/// <c>orderId</c> is the order's, collect their W3C trace ids, add every line of those trace ids (so a line that names
/// no order still joins), then turn the lines that mark a hop into <see cref="TraceHop"/>s in time order.</summary>
internal static class OrderTrace
{
    /// <summary>The services whose outcomes make an order leave PENDING.</summary>
    public static readonly IReadOnlyList<string> TrackedServices = ["inventory", "sms", "email"];

    private const string AcceptedMessage = "Order accepted";

    /// <summary>The lines of <paramref name="orderId"/>'s journey, in input order.</summary>
    public static IReadOnlyList<FunctionLogLine> Select(IEnumerable<FunctionLogLine> lines, string orderId)
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentException.ThrowIfNullOrWhiteSpace(orderId);
        var all = lines as IReadOnlyList<FunctionLogLine> ?? [.. lines];
        var traceIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in all)
        {
            if (line.OrderId == orderId && line.TraceId is { } traceId)
            {
                traceIds.Add(traceId);
            }
        }

        // A line of another order never joins, even if it shares a trace (it cannot, unless ids were reused).
        return [.. all.Where(l => l.OrderId == orderId || (l.OrderId is null && l.TraceId is { } id && traceIds.Contains(id)))];
    }

    /// <summary>The hops of <paramref name="orderId"/>, earliest first; empty when no line names the order.</summary>
    public static IReadOnlyList<TraceHop> Build(IEnumerable<FunctionLogLine> lines, string orderId)
    {
        var hops = new List<TraceHop>();
        foreach (var line in Select(lines, orderId))
        {
            if (ToHop(line) is { } hop)
            {
                hops.Add(hop);
            }
        }

        // Stable order: by time, then by the hop's place in the pipeline for lines stamped the same millisecond.
        var ordered = hops.Select((h, i) => (Hop: h, Index: i)).OrderBy(x => x.Hop.At).ThenBy(x => Rank(x.Hop.Hop)).ThenBy(x => x.Index).Select(x => x.Hop).ToList();
        if (Completion(ordered) is { } completed)
        {
            var at = ordered.FindLastIndex(h => h.At <= completed.At);
            ordered.Insert(at + 1, completed);
        }

        return ordered;
    }

    private static TraceHop? ToHop(FunctionLogLine line)
    {
        var service = line.Service ?? "?";
        if (!line.IsMetrics)
        {
            if (line.Message == AcceptedMessage)
            {
                return new TraceHop { At = line.At, Service = service, Hop = HopKinds.Accepted, TraceId = line.TraceId, EventType = line.EventType };
            }

            return line.Level is "Warning" or "Error" or "Critical"
                ? new TraceHop { At = line.At, Service = service, Hop = HopKinds.Log, TraceId = line.TraceId, EventId = line.EventId, Message = line.Level + ": " + line.Message }
                : null;
        }

        if (line.IsRecord)
        {
            return new TraceHop
            {
                At = line.StartedAt ?? line.At,
                Service = service,
                Hop = HopKinds.Consumed,
                EventType = line.EventType,
                QueueWaitMs = line.QueueWaitMs,
                ProcessingMs = line.ProcessingMs,
                Outcome = line.Outcome,
                ReceiveCount = line.ReceiveCount,
                Retried = line.Retried || line.ReceiveCount > 1,
                TraceId = line.TraceId,
                EventId = line.EventId,
                MessageId = line.MessageId,
            };
        }

        if (line.IsPublish)
        {
            return new TraceHop { At = line.At, Service = service, Hop = HopKinds.Published, EventType = line.EventType, TraceId = line.TraceId, EventId = line.EventId };
        }

        return line.EndToEndMs is { } endToEnd
            ? new TraceHop
            {
                At = line.AppliedAt ?? line.At,
                Service = service,
                Hop = HopKinds.Applied,
                EventType = line.EventType,
                EndToEndMs = endToEnd,
                ForService = line.AppliedService,
                TraceId = line.TraceId,
            }
            : null;
    }

    // The first apply after which every tracked service has one: that is when the order left PENDING.
    private static TraceHop? Completion(IReadOnlyList<TraceHop> ordered)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var hop in ordered)
        {
            if (hop.Hop == HopKinds.Applied && hop.ForService is { } forService && TrackedServices.Contains(forService) && seen.Add(forService) && seen.Count == TrackedServices.Count)
            {
                return new TraceHop { At = hop.At, Service = hop.Service, Hop = HopKinds.Completed, EndToEndMs = hop.EndToEndMs, TraceId = hop.TraceId };
            }
        }

        return null;
    }

    private static int Rank(string hop) => hop switch
    {
        HopKinds.Accepted => 0,
        HopKinds.Consumed => 1,
        HopKinds.Published => 2,
        HopKinds.Applied => 3,
        _ => 4,
    };
}

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(IReadOnlyList<TraceHop>))]
internal sealed partial class TraceJsonContext : JsonSerializerContext;

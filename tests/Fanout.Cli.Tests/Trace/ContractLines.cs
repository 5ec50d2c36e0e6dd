using System.Globalization;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Metrics;

namespace Fanout.Cli.Tests.Trace;

/// <summary>Function log lines shaped exactly as the issue's log line contract says the functions write them: EMF
/// lines through the shared <see cref="EmbeddedMetrics.Format(DateTimeOffset, string, string?, ReadOnlySpan{MetricDatum}, ReadOnlySpan{ValueTuple{string, string?}})"/>
/// with the contract's metrics and properties, and <c>FanoutLogger</c>-shaped log lines.</summary>
internal static class ContractLines
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 29, 10, 0, 0, TimeSpan.Zero);

    public static string TraceParent(string traceId, string spanId = "00f067aa0ba902b7") => $"00-{traceId}-{spanId}-01";

    private static string Rfc3339(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Order intake's "Order accepted" line.</summary>
    public static string Accepted(double atMs, string orderId, string traceParent, string correlationId = "corr-1") =>
        $"{{\"timestamp\":\"{Rfc3339(T0.AddMilliseconds(atMs))}\",\"level\":\"Information\",\"service\":\"orders\",\"message\":\"Order accepted\",\"requestId\":\"req-1\",\"correlationId\":\"{correlationId}\",\"orderId\":\"{orderId}\",\"traceparent\":\"{traceParent}\"}}";

    /// <summary>A <c>FanoutLogger</c> line at <paramref name="level"/>, with optional orderId and traceparent.</summary>
    public static string Log(double atMs, string service, string level, string message, string? orderId, string? traceParent) =>
        $"{{\"timestamp\":\"{Rfc3339(T0.AddMilliseconds(atMs))}\",\"level\":\"{level}\",\"service\":\"{service}\",\"message\":\"{message}\""
        + (orderId is null ? "" : $",\"orderId\":\"{orderId}\"")
        + (traceParent is null ? "" : $",\"traceparent\":\"{traceParent}\"")
        + "}";

    /// <summary>A publish's EMF line.</summary>
    public static string Published(double atMs, string service, string eventType, string? orderId, string traceParent, string eventId = "evt-1") =>
        EmbeddedMetrics.Format(
            T0.AddMilliseconds(atMs),
            service,
            eventType,
            [new MetricDatum(FanoutMetrics.Published, FanoutMetrics.Count, 1)],
            [("eventId", eventId), ("orderId", orderId), ("correlationId", "corr-1"), ("traceparent", traceParent)]);

    /// <summary>A consumer's per-record EMF line, written when the record's handling ended.</summary>
    public static string Record(
        double startedAtMs, string service, string eventType, string? orderId, string traceParent, double queueWaitMs, double processingMs, string outcome = "handled", int receiveCount = 1, string messageId = "msg-1") =>
        EmbeddedMetrics.Format(
            T0.AddMilliseconds(startedAtMs + processingMs),
            service,
            eventType,
            [
                new MetricDatum(FanoutMetrics.QueueWaitTime, FanoutMetrics.Milliseconds, queueWaitMs),
                new MetricDatum(FanoutMetrics.ProcessingTime, FanoutMetrics.Milliseconds, processingMs),
                new MetricDatum(FanoutMetrics.Received, FanoutMetrics.Count, 1),
                new MetricDatum(outcome switch { "duplicate" => FanoutMetrics.Duplicate, "poison" => FanoutMetrics.Poison, "failed" => FanoutMetrics.Failed, _ => FanoutMetrics.Handled }, FanoutMetrics.Count, 1),
                new MetricDatum(FanoutMetrics.Retried, FanoutMetrics.Count, receiveCount > 1 ? 1 : 0),
                new MetricDatum(FanoutMetrics.WriteUnits, FanoutMetrics.Count, 2),
                new MetricDatum(FanoutMetrics.ReadUnits, FanoutMetrics.Count, 0),
            ],
            [
                ("messageId", messageId), ("eventId", "evt-" + messageId), ("orderId", orderId), ("correlationId", "corr-1"), ("traceparent", traceParent),
                ("receiveCount", receiveCount.ToString(CultureInfo.InvariantCulture)), ("outcome", outcome), ("startedAt", Rfc3339(T0.AddMilliseconds(startedAtMs))),
            ]);

    /// <summary>Order status's EMF line for an applied outcome.</summary>
    public static string Applied(double atMs, string forService, string eventType, string orderId, string traceParent, double endToEndMs) =>
        EmbeddedMetrics.Format(
            T0.AddMilliseconds(atMs),
            "orderstatus",
            eventType,
            [new MetricDatum(FanoutMetrics.EndToEndLatency, FanoutMetrics.Milliseconds, endToEndMs)],
            [("orderId", orderId), ("service", forService), ("appliedAt", Rfc3339(T0.AddMilliseconds(atMs))), ("traceparent", traceParent)]);

    /// <summary>One order's whole journey under one trace id: intake, OrderPlaced, three consumers each publishing
    /// their outcome, and order status applying the three (the e-mail consumer's outcome line names no order).</summary>
    public static IReadOnlyList<string> Journey(string orderId, string traceId) =>
    [
        Published(2, "orders", "OrderPlaced", orderId, TraceParent(traceId, "1000000000000001")),
        Accepted(3, orderId, TraceParent(traceId, "1000000000000001")),
        Record(5, "inventory", "OrderPlaced", orderId, TraceParent(traceId, "2000000000000001"), queueWaitMs: 3, processingMs: 4, messageId: "m-inv"),
        Published(7, "inventory", "InventoryReserved", orderId, TraceParent(traceId, "2000000000000001")),
        Record(6, "sms", "OrderPlaced", orderId, TraceParent(traceId, "2000000000000002"), queueWaitMs: 4, processingMs: 3, messageId: "m-sms"),
        Published(8, "sms", "SmsSent", orderId, TraceParent(traceId, "2000000000000002")),
        Record(9, "email", "OrderPlaced", orderId, TraceParent(traceId, "2000000000000003"), queueWaitMs: 6, processingMs: 3, receiveCount: 2, messageId: "m-email"),
        Published(11, "email", "EmailSent", null, TraceParent(traceId, "2000000000000003")),
        Record(12, "orderstatus", "InventoryReserved", orderId, TraceParent(traceId, "3000000000000001"), queueWaitMs: 2, processingMs: 1, messageId: "m-os1"),
        Applied(13, "inventory", "InventoryReserved", orderId, TraceParent(traceId, "3000000000000001"), 10),
        Record(14, "orderstatus", "SmsSent", orderId, TraceParent(traceId, "3000000000000002"), queueWaitMs: 2, processingMs: 1, messageId: "m-os2"),
        Applied(15, "sms", "SmsSent", orderId, TraceParent(traceId, "3000000000000002"), 12),
        Record(16, "orderstatus", "EmailSent", orderId, TraceParent(traceId, "3000000000000003"), queueWaitMs: 1, processingMs: 1, messageId: "m-os3"),
        Applied(17, "email", "EmailSent", orderId, TraceParent(traceId, "3000000000000003"), 14),
    ];
}

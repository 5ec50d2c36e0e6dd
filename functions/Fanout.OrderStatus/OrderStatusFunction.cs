using System.Globalization;
using Fanout.AwsShims.Events;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Metrics;
using Fanout.Functions.Common.Sqs;
using Fanout.Functions.Common.Tracing;
using Fanout.Orders.Core;
using Fanout.OrderStatus.Core;

namespace Fanout.OrderStatus;

/// <summary>Adapter: SQS record → outcome fact → <see cref="OrderStatusService"/>. Each applied outcome (but an
/// inventory <c>RELEASED</c>, which answers a cancellation, not the order) writes one
/// EMF line: metric <c>EndToEndLatency</c> (milliseconds from the order's <c>OrderPlaced</c> <c>time</c>, its
/// <c>createdAt</c>, to the apply, both server clocks), dimensions <c>Service</c> = <c>orderstatus</c> and
/// <c>EventType</c> = the outcome's CloudEvents type, properties <c>orderId</c>, <c>service</c> (inventory, sms or
/// email), <c>appliedAt</c> (RFC 3339 UTC, milliseconds) and <c>traceparent</c> (the W3C Trace Context of this hop,
/// else the message's attribute).</summary>
public sealed class OrderStatusFunction : ISqsRecordHandler
{
    private readonly OrderStatusService _service;
    private readonly FanoutLogger _log;
    private readonly EmbeddedMetrics? _metrics;

    /// <param name="metrics">Where the <c>EndToEndLatency</c> lines go; null writes none.</param>
    public OrderStatusFunction(OrderStatusService service, FanoutLogger log, EmbeddedMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(log);
        _service = service;
        _log = log;
        _metrics = metrics;
    }

    public async Task HandleAsync(SqsMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var envelope = EventParser.ParseEnvelope(message.Body);
        RecordContext.Identify(envelope.Type, envelope.Id, envelope.Subject);
        using var scope = CorrelationContext.Begin(envelope.CorrelationId);
        if (OrderStatusService.ToUpdate(envelope) is not { } update)
        {
            _log.Info("Notification outcome not tracked by the order", ("eventId", envelope.Id), ("type", envelope.Type));
            return;
        }

        var result = await _service.ApplyAsync(update, cancellationToken);
        _log.Info("Outcome recorded", ("orderId", update.OrderId), ("service", update.Service), ("status", update.Status), ("result", result.Status.ToString()), ("eventId", update.EventId));
        // A release answers a cancellation, which may come hours after the order: timed from OrderPlaced it would read
        // as fan-out latency and trip the end-to-end objective, so it is not an EndToEndLatency sample.
        if (_metrics is not null && update.Status != ServiceStatus.Released
            && result is { Status: ApplyOutcomeStatus.Applied, CreatedAt: { } createdAt, AppliedAt: { } appliedAt })
        {
            _metrics.Put(
                OrderStatusService.ServiceName,
                envelope.Type,
                [new MetricDatum(FanoutMetrics.EndToEndLatency, FanoutMetrics.Milliseconds, Math.Max(0, (appliedAt - createdAt).TotalMilliseconds))],
                [
                    ("orderId", update.OrderId),
                    ("service", update.Service),
                    ("appliedAt", appliedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)),
                    ("traceparent", TraceScope.Current?.ToString() ?? message.GetStringAttribute(Contracts.Events.EventAttributes.TraceParent)),
                ]);
        }
    }
}

using Fanout.AwsShims.Events;
using Fanout.Contracts.Events;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Sqs;
using Fanout.OrderStatus.Core;

namespace Fanout.OrderStatus;

/// <summary>Adapter: SQS record → outcome fact → <see cref="OrderStatusService"/>.</summary>
public sealed class OrderStatusFunction : ISqsRecordHandler
{
    private readonly OrderStatusService _service;
    private readonly FanoutLogger _log;

    public OrderStatusFunction(OrderStatusService service, FanoutLogger log)
    {
        _service = service;
        _log = log;
    }

    public async Task HandleAsync(SqsMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var envelope = EventParser.ParseEnvelope(message.Body);
        using var scope = CorrelationContext.Begin(envelope.CorrelationId);
        if (OrderStatusService.ToUpdate(envelope) is not { } update)
        {
            _log.Info("Notification outcome not tracked by the order", ("eventId", envelope.Id), ("type", envelope.Type));
            return;
        }

        var result = await _service.ApplyAsync(update, cancellationToken);
        _log.Info("Outcome recorded", ("orderId", update.OrderId), ("service", update.Service), ("status", update.Status), ("result", result.ToString()), ("eventId", update.EventId));
    }
}

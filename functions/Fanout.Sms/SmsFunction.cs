using Fanout.AwsShims.Events;
using Fanout.Contracts.Events;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Sqs;
using Fanout.Sms.Core;

namespace Fanout.Sms;

/// <summary>Adapter: SQS record → <see cref="OrderPlaced"/> → <see cref="SmsService"/>.</summary>
public sealed class SmsFunction : ISqsRecordHandler
{
    private readonly SmsService _service;
    private readonly FanoutLogger _log;

    public SmsFunction(SmsService service, FanoutLogger log)
    {
        _service = service;
        _log = log;
    }

    public async Task HandleAsync(SqsMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var placed = EventParser.Parse(message.Body, EventTypes.OrderPlaced, ContractsJsonContext.Default.OrderPlaced);
        using var scope = CorrelationContext.Begin(placed.CorrelationId);
        var ranNow = await _service.HandleAsync(placed, cancellationToken);
        _log.Info(ranNow ? "SMS handled" : "Duplicate OrderPlaced: outcome re-published", ("orderId", placed.Data.OrderId), ("eventId", placed.Id), ("messageId", message.MessageId));
    }
}

using Fanout.AwsShims.Events;
using Fanout.Contracts.Events;
using Fanout.Email.Core;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Sqs;

namespace Fanout.Email;

/// <summary>Adapter: SQS record → <see cref="OrderPlaced"/> → <see cref="EmailService"/>.</summary>
public sealed class EmailFunction : ISqsRecordHandler
{
    private readonly EmailService _service;
    private readonly FanoutLogger _log;

    public EmailFunction(EmailService service, FanoutLogger log)
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
        _log.Info(ranNow ? "E-mail handled" : "Duplicate OrderPlaced: outcome re-published", ("orderId", placed.Data.OrderId), ("eventId", placed.Id), ("messageId", message.MessageId));
    }
}

using Fanout.AwsShims.Events;
using Fanout.Contracts.Events;
using Fanout.Functions.Common.Logging;

namespace Fanout.Functions.Common.Sqs;

/// <summary>The adapter every OrderPlaced consumer shares: SQS record → checked <see cref="OrderPlaced"/> →
/// the service's rule, under the event's correlation id. The rule returns a short description of what it did.</summary>
public sealed class OrderPlacedRecordHandler : ISqsRecordHandler
{
    private readonly Func<ParsedEvent<OrderPlaced>, CancellationToken, Task<string>> _handle;
    private readonly FanoutLogger _log;

    public OrderPlacedRecordHandler(Func<ParsedEvent<OrderPlaced>, CancellationToken, Task<string>> handle, FanoutLogger log)
    {
        ArgumentNullException.ThrowIfNull(handle);
        ArgumentNullException.ThrowIfNull(log);
        _handle = handle;
        _log = log;
    }

    public async Task HandleAsync(SqsMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var placed = EventParser.Parse(message.Body, EventTypes.OrderPlaced, ContractsJsonContext.Default.OrderPlaced);
        using var scope = CorrelationContext.Begin(placed.CorrelationId);
        var outcome = await _handle(placed, cancellationToken);
        _log.Info("OrderPlaced handled", ("orderId", placed.Data.OrderId), ("eventId", placed.Id), ("outcome", outcome), ("messageId", message.MessageId));
    }
}

using Fanout.AwsShims.Events;
using Fanout.Contracts.Events;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Sqs;
using Fanout.Inventory.Core;

namespace Fanout.Inventory;

/// <summary>Adapter: SQS record → <see cref="OrderPlaced"/> → <see cref="InventoryService"/>.</summary>
public sealed class InventoryFunction : ISqsRecordHandler
{
    private readonly InventoryService _service;
    private readonly FanoutLogger _log;

    public InventoryFunction(InventoryService service, FanoutLogger log)
    {
        _service = service;
        _log = log;
    }

    public async Task HandleAsync(SqsMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var placed = EventParser.Parse(message.Body, EventTypes.OrderPlaced, ContractsJsonContext.Default.OrderPlaced);
        using var scope = CorrelationContext.Begin(placed.CorrelationId);
        var outcome = await _service.HandleAsync(placed, cancellationToken);
        _log.Info("Inventory handled", ("orderId", placed.Data.OrderId), ("eventId", placed.Id), ("outcome", outcome), ("messageId", message.MessageId));
    }
}

using Fanout.Contracts.Events;
using Fanout.Orders.Core;

namespace Fanout.OrderStatus.Core;

/// <summary>An outcome fact reduced to what the order needs: which service, which final status.</summary>
public sealed record OutcomeUpdate(string EventId, string OrderId, string Service, string Status);

/// <summary>Maps outcome facts to per-service statuses and records them once per event id.</summary>
public sealed class OrderStatusService
{
    public const string ServiceName = "orderstatus";
    private readonly IOrderStore _store;

    public OrderStatusService(IOrderStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
    }

    /// <summary>Reads an outcome envelope; throws <see cref="PoisonMessageException"/> for anything else.</summary>
    public static OutcomeUpdate ToUpdate(RawCloudEvent envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return envelope.Type switch
        {
            EventTypes.SmsSent => From(EventParser.Bind(envelope, ContractsJsonContext.Default.SmsSent), s => s.OrderId, TrackedServices.Sms, s => s.Delivery == SmsDelivery.Skipped ? ServiceStatus.Skipped : ServiceStatus.Sent),
            EventTypes.EmailSent => From(EventParser.Bind(envelope, ContractsJsonContext.Default.EmailSent), e => e.OrderId, TrackedServices.Email, _ => ServiceStatus.Sent),
            EventTypes.InventoryReserved => From(EventParser.Bind(envelope, ContractsJsonContext.Default.InventoryReserved), r => r.OrderId, TrackedServices.Inventory, _ => ServiceStatus.Reserved),
            EventTypes.InventoryRejected => From(EventParser.Bind(envelope, ContractsJsonContext.Default.InventoryRejected), r => r.OrderId, TrackedServices.Inventory, _ => ServiceStatus.Rejected),
            _ => throw new PoisonMessageException($"OrderStatus does not handle events of type \"{envelope.Type}\"."),
        };
    }

    public async Task<ApplyOutcomeStatus> ApplyAsync(OutcomeUpdate update, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        var result = await _store.ApplyOutcomeAsync(update.OrderId, update.EventId, update.Service, update.Status, cancellationToken);
        return result switch
        {
            // The order is written before OrderPlaced is published, so a missing order is a wrong id or a
            // not-yet-visible write: retry, and let redrive park it in the DLQ if it never appears.
            ApplyOutcomeStatus.OrderMissing => throw new InvalidOperationException($"Order {update.OrderId} does not exist (yet)."),
            ApplyOutcomeStatus.Conflict => throw new PoisonMessageException($"Event {update.EventId} says {update.Service} is {update.Status}, contradicting the order's recorded final status."),
            _ => result,
        };
    }

    private static OutcomeUpdate From<T>(ParsedEvent<T> parsed, Func<T, string> orderId, string service, Func<T, string> status) =>
        new(parsed.Id, orderId(parsed.Data), service, status(parsed.Data));
}

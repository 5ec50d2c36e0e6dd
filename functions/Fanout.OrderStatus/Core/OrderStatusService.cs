using Fanout.Contracts.Events;
using Fanout.Functions.Common.Sqs;
using Fanout.Orders.Core;

namespace Fanout.OrderStatus.Core;

/// <summary>An outcome fact reduced to what the order needs: which service, which final status.</summary>
public sealed record OutcomeUpdate(string EventId, string OrderId, string Service, string Status);

/// <summary>Maps outcome facts to per-service statuses and records them once per event id: <c>SmsSent</c>/<c>EmailSent</c>
/// (order-received only) → sms/email; <c>InventoryReserved</c>/<c>InventoryRejected</c>/<c>InventoryReleased</c> →
/// inventory <c>RESERVED</c>/<c>REJECTED</c>/<c>RELEASED</c>. The store settles the order after each (a
/// <c>CANCELLING</c> order whose inventory was released becomes <c>CANCELLED</c>). Outcomes of one order are applied
/// one at a time within the process (a <see cref="KeyedGate"/> on the order id, shared by the batch's parallel
/// records), so outcomes that arrive together never race each other's conditional writes (a failed one still costs
/// a write unit); races across invocations are the store's to resolve.</summary>
public sealed class OrderStatusService
{
    public const string ServiceName = "orderstatus";
    private readonly IOrderStore _store;
    private readonly KeyedGate _orders = new();

    public OrderStatusService(IOrderStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
    }

    /// <summary>Reads an outcome envelope; throws <see cref="PoisonMessageException"/> for anything else.</summary>
    /// <returns>Null for an <c>SmsSent</c> or <c>EmailSent</c> of a notification other than
    /// <see cref="NotificationKinds.OrderReceived"/>: the order's sms/email statuses track the order-received
    /// notification only, so the others change nothing (and so cannot be applied twice).</returns>
    public static OutcomeUpdate? ToUpdate(RawCloudEvent envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return envelope.Type switch
        {
            EventTypes.SmsSent => Tracked(EventParser.Bind(envelope, ContractsJsonContext.Default.SmsSent), s => s.Notification) is { } sms
                ? From(sms, s => s.OrderId, TrackedServices.Sms, s => s.Delivery == SmsDelivery.Skipped ? ServiceStatus.Skipped : ServiceStatus.Sent)
                : null,
            EventTypes.EmailSent => Tracked(EventParser.Bind(envelope, ContractsJsonContext.Default.EmailSent), e => e.Notification) is { } email
                ? From(email, e => e.OrderId, TrackedServices.Email, _ => ServiceStatus.Sent)
                : null,
            EventTypes.InventoryReserved => From(EventParser.Bind(envelope, ContractsJsonContext.Default.InventoryReserved), r => r.OrderId, TrackedServices.Inventory, _ => ServiceStatus.Reserved),
            EventTypes.InventoryRejected => From(EventParser.Bind(envelope, ContractsJsonContext.Default.InventoryRejected), r => r.OrderId, TrackedServices.Inventory, _ => ServiceStatus.Rejected),
            EventTypes.InventoryReleased => From(EventParser.Bind(envelope, ContractsJsonContext.Default.InventoryReleased), r => r.OrderId, TrackedServices.Inventory, _ => ServiceStatus.Released),
            _ => throw new PoisonMessageException($"OrderStatus does not handle events of type \"{envelope.Type}\"."),
        };
    }

    /// <summary>Applies <paramref name="update"/>; a duplicate marks the record in progress so
    /// (<see cref="RecordContext.MarkDuplicate"/>), for its <c>Duplicate</c> metric.</summary>
    /// <returns>The store's answer: applied (with the order's <c>createdAt</c> and the apply time) or duplicate.</returns>
    /// <exception cref="InvalidOperationException">The order does not exist (yet): retried.</exception>
    /// <exception cref="PoisonMessageException">The outcome contradicts the service's recorded final status.</exception>
    public async Task<ApplyOutcomeResult> ApplyAsync(OutcomeUpdate update, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(update);
        ApplyOutcomeResult result;
        using (await _orders.EnterAsync(update.OrderId, cancellationToken))
        {
            result = await _store.ApplyOutcomeAsync(update.OrderId, update.EventId, update.Service, update.Status, cancellationToken);
        }

        if (result.Status == ApplyOutcomeStatus.Duplicate)
        {
            RecordContext.MarkDuplicate();
        }

        return result.Status switch
        {
            // The order is written before OrderPlaced is published, so a missing order is a wrong id or a
            // not-yet-visible write: retry, and let redrive park it in the DLQ if it never appears.
            ApplyOutcomeStatus.OrderMissing => throw new InvalidOperationException($"Order {update.OrderId} does not exist (yet)."),
            ApplyOutcomeStatus.Conflict => throw new PoisonMessageException($"Event {update.EventId} says {update.Service} is {update.Status}, contradicting the order's recorded final status."),
            _ => result,
        };
    }

    private static ParsedEvent<T>? Tracked<T>(ParsedEvent<T> parsed, Func<T, string> notification) =>
        notification(parsed.Data) == NotificationKinds.OrderReceived ? parsed : null;

    private static OutcomeUpdate From<T>(ParsedEvent<T> parsed, Func<T, string> orderId, string service, Func<T, string> status) =>
        new(parsed.Id, orderId(parsed.Data), service, status(parsed.Data));
}

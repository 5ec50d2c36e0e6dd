using Fanout.Contracts.Events;
using Fanout.Functions.Common.Sqs;

namespace Fanout.Functions.Common.Consumers;

/// <summary>What a notifier needs to tell a customer about one fact of their order: the order, whom to tell, which
/// notification (<see cref="NotificationKinds"/>) and, for <c>ORDER_RECEIVED</c> only, the lines ordered. Built from
/// the fact alone (event-carried state): a notifier reads no other service's table.</summary>
public sealed record CustomerNotice(string OrderId, CustomerInfo Customer, string Kind, IReadOnlyList<OrderLine> Items)
{
    /// <summary>The first 8 characters of the order id: enough for a customer to tell orders apart in a short text.</summary>
    public string ShortOrderId => OrderId[..Math.Min(8, OrderId.Length)];

    /// <summary>"We received your order", with its lines.</summary>
    public static CustomerNotice For(OrderPlaced placed)
    {
        ArgumentNullException.ThrowIfNull(placed);
        return new(placed.OrderId, placed.Customer, NotificationKinds.OrderReceived, placed.Items);
    }

    /// <summary>"We could not fulfil your order"; which SKUs lacked stock is not the customer's concern.</summary>
    public static CustomerNotice For(InventoryRejected rejected)
    {
        ArgumentNullException.ThrowIfNull(rejected);
        return new(rejected.OrderId, rejected.Customer, NotificationKinds.OrderNotFulfilled, []);
    }

    /// <summary>"Your order is cancelled".</summary>
    public static CustomerNotice For(OrderCancelled cancelled)
    {
        ArgumentNullException.ThrowIfNull(cancelled);
        return new(cancelled.OrderId, cancelled.Customer, NotificationKinds.OrderCancelled, []);
    }
}

/// <summary>A service that tells the customer about the facts of their order (SMS, e-mail): once per fact.</summary>
public interface ICustomerNotifier
{
    /// <summary>Sends <paramref name="notice"/> at most once per <paramref name="fact"/> id, and publishes its outcome.</summary>
    /// <returns>Whether it was sent now (false: it had been before and its outcome was re-published).</returns>
    Task<bool> NotifyAsync<T>(ParsedEvent<T> fact, CustomerNotice notice, CancellationToken cancellationToken);
}

/// <summary>Wires a notifier to the three facts that concern a customer (the Sms and Email subscriptions in
/// <c>FanoutTopology</c>).</summary>
public static class CustomerNotifications
{
    /// <summary>Adds to <paramref name="handler"/> a rule per fact: <c>OrderPlaced</c>, <c>InventoryRejected</c> and
    /// <c>OrderCancelled</c>, each handing its <see cref="CustomerNotice"/> to <paramref name="notifier"/>.</summary>
    public static FactRecordHandler OnCustomerFacts(this FactRecordHandler handler, ICustomerNotifier notifier)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(notifier);
        return handler
            .On(EventTypes.OrderPlaced, ContractsJsonContext.Default.OrderPlaced, d => d.OrderId, (f, ct) => DescribeAsync(notifier, f, CustomerNotice.For(f.Data), ct))
            .On(EventTypes.InventoryRejected, ContractsJsonContext.Default.InventoryRejected, d => d.OrderId, (f, ct) => DescribeAsync(notifier, f, CustomerNotice.For(f.Data), ct))
            .On(EventTypes.OrderCancelled, ContractsJsonContext.Default.OrderCancelled, d => d.OrderId, (f, ct) => DescribeAsync(notifier, f, CustomerNotice.For(f.Data), ct));
    }

    /// <summary>Tells the customer their order was received.</summary>
    public static Task<bool> HandleAsync(this ICustomerNotifier notifier, ParsedEvent<OrderPlaced> placed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notifier);
        ArgumentNullException.ThrowIfNull(placed);
        return notifier.NotifyAsync(placed, CustomerNotice.For(placed.Data), cancellationToken);
    }

    /// <summary>Tells the customer their order could not be fulfilled.</summary>
    public static Task<bool> HandleAsync(this ICustomerNotifier notifier, ParsedEvent<InventoryRejected> rejected, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notifier);
        ArgumentNullException.ThrowIfNull(rejected);
        return notifier.NotifyAsync(rejected, CustomerNotice.For(rejected.Data), cancellationToken);
    }

    /// <summary>Tells the customer their order is cancelled.</summary>
    public static Task<bool> HandleAsync(this ICustomerNotifier notifier, ParsedEvent<OrderCancelled> cancelled, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notifier);
        ArgumentNullException.ThrowIfNull(cancelled);
        return notifier.NotifyAsync(cancelled, CustomerNotice.For(cancelled.Data), cancellationToken);
    }

    private static async Task<string> DescribeAsync<T>(ICustomerNotifier notifier, ParsedEvent<T> fact, CustomerNotice notice, CancellationToken cancellationToken) =>
        await notifier.NotifyAsync(fact, notice, cancellationToken)
            ? notice.Kind + " sent"
            : "duplicate: outcome re-published";
}

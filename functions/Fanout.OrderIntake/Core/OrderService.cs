using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Publishing;
using Fanout.Orders.Core;
using Fanout.Orders.Outbox;

namespace Fanout.OrderIntake.Core;

public enum PlaceOrderStatus
{
    /// <summary>The order (its own <c>OrderPlaced</c> outbox entry) was written; the fact is published (inline, or
    /// later by the outbox relay: see <see cref="PlaceOrderResult.PublishError"/>).</summary>
    Accepted,

    /// <summary>Same idempotency key, same request: the original order (the relay publishes its fact if still owed).</summary>
    Replayed,

    /// <summary>Same idempotency key, different request.</summary>
    KeyConflict,

    /// <summary>Another request with the same idempotency key is being written right now; retry shortly.</summary>
    InProgress,

    /// <summary>The caller may not place this order (another customer's, or no customer id of their own);
    /// <see cref="PlaceOrderResult.Refusal"/> says why. Nothing was stored.</summary>
    Forbidden,
}

/// <param name="PublishError">Why the inline publish did not finish (a failure, or the inline timeout); null when it
/// did or was not attempted. The outbox entry is durable either way.</param>
/// <param name="Refusal">Why the order was <see cref="PlaceOrderStatus.Forbidden"/>; null otherwise.</param>
public sealed record PlaceOrderResult(PlaceOrderStatus Status, string? OrderId, Exception? PublishError = null, string? Refusal = null);

public enum CancelOrderStatus
{
    /// <summary>The order became <c>CANCELLING</c> now, with its <c>OrderCancelled</c> outbox entry.</summary>
    Accepted,

    /// <summary>The order was already <c>CANCELLING</c>: the earlier request was accepted; nothing was written.</summary>
    AlreadyCancelling,

    /// <summary>No such order, or not the caller's (the two are answered alike).</summary>
    NotFound,

    /// <summary>The order is <c>REJECTED</c> or <c>CANCELLED</c> (<see cref="CancelOrderResult.CurrentStatus"/>).</summary>
    NotCancellable,
}

/// <param name="CurrentStatus">The order's status when the request was decided (one of <see cref="OrderStatuses"/>).</param>
/// <param name="PublishError">As for <see cref="PlaceOrderResult.PublishError"/>.</param>
public sealed record CancelOrderResult(CancelOrderStatus Status, string? CurrentStatus, Exception? PublishError = null);

/// <summary>The order service's rules: an order and the fact it owes the topic are one item (the order item is the
/// outbox entry of its <c>OrderPlaced</c> until an outcome is applied), a cancellation and its <c>OrderCancelled</c>
/// entry one transaction; then the fact is published inline, bounded by a short timeout.</summary>
/// <remarks>A publish that fails or times out is not an error for the client: the outbox entry is durable and the
/// outbox relay (from the table's stream) or the reconciler publishes it. Only the request's own cancellation (the
/// Lambda deadline) propagates.</remarks>
public sealed class OrderService
{
    public const string ServiceName = "orders";

    /// <summary>How often a cancellation re-reads the order when a concurrent change beat its conditional write.</summary>
    internal const int CancelAttempts = 3;

    private readonly IOrderStore _store;
    private readonly OutboxDispatcher _dispatcher;
    private readonly IEventPublisher _publisher;
    private readonly TimeProvider _time;
    private readonly TimeSpan _inlinePublishTimeout;

    /// <param name="inlinePublishTimeout">How long a request waits for its inline publish; default
    /// <see cref="OutboxSpec.InlinePublishTimeoutMs"/> milliseconds.</param>
    public OrderService(IOrderStore store, IEventPublisher publisher, TimeProvider time, TimeSpan? inlinePublishTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(publisher);
        ArgumentNullException.ThrowIfNull(time);
        _store = store;
        _dispatcher = new OutboxDispatcher(store.Outbox, publisher);
        _publisher = publisher;
        _time = time;
        _inlinePublishTimeout = inlinePublishTimeout ?? TimeSpan.FromMilliseconds(OutboxSpec.InlinePublishTimeoutMs);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_inlinePublishTimeout, TimeSpan.Zero, nameof(inlinePublishTimeout));
    }

    /// <summary>SHA-256 of the request's canonical JSON: bodies that differ only in spacing or field order match.</summary>
    public static string RequestHash(PlaceOrderCommand command) =>
        Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(command, OrderIntakeJsonContext.Default.PlaceOrderCommand)));

    /// <summary>The idempotency key as stored: the caller's own namespace (lower-case hex SHA-256 of their
    /// <c>sub</c>, 64 characters), <c>#</c>, then the key. The digest has a fixed length and no <c>#</c>, so no pair of
    /// subject and key can spell another pair's scoped key, whatever characters a subject holds.</summary>
    public static string ScopeIdempotencyKey(string subject, string idempotencyKey)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(idempotencyKey);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(subject))) + "#" + idempotencyKey;
    }

    /// <summary>Places the order <paramref name="command"/> describes for <paramref name="caller"/>.</summary>
    /// <param name="command">A validated request; <c>Customer.Id</c> is empty when the body named no customer.</param>
    /// <param name="idempotencyKey">The client's key (required); keys are scoped to the caller, so two callers'
    /// equal keys are two keys. The order id is derived from the scoped key and the UTC day
    /// (<see cref="OrderIds.ForKey"/>), so the order is written in one conditional Put; the key is remembered 24 h.</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<PlaceOrderResult> PlaceAsync(PlaceOrderCommand command, Caller caller, string idempotencyKey, string correlationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentException.ThrowIfNullOrEmpty(idempotencyKey);
        var decision = caller.DecideCustomer(command.Customer.Id.Length == 0 ? null : command.Customer.Id);
        if (!decision.IsAllowed)
        {
            return new PlaceOrderResult(PlaceOrderStatus.Forbidden, null, Refusal: decision.Refusal);
        }

        // The hash covers the resolved customer, so a replay that resolves to someone else is a different request.
        command = new PlaceOrderCommand
        {
            Customer = new CustomerInfo { Id = decision.CustomerId!, Email = command.Customer.Email, Phone = command.Customer.Phone },
            Items = command.Items,
        };
        var now = _time.GetUtcNow();
        var scopedKey = ScopeIdempotencyKey(caller.Subject, idempotencyKey);
        var orderId = OrderIds.ForKey(scopedKey, OrderIds.DayOf(now));
        var placed = new OrderPlaced { OrderId = orderId, Customer = command.Customer, Items = command.Items, PlacedAt = now };
        var outgoing = OrderPlacedEvents.Create(placed, correlationId, now);
        var statuses = TrackedServices.All.ToDictionary(s => s, _ => ServiceStatus.Pending);
        var record = new OrderRecord(orderId, outgoing.Json, correlationId, RequestHash(command), now, statuses) { OpenSince = now };

        var created = await _store.CreateAsync(record, scopedKey, cancellationToken);
        switch (created.Status)
        {
            case CreateOrderStatus.KeyConflict:
                return new PlaceOrderResult(PlaceOrderStatus.KeyConflict, null);
            case CreateOrderStatus.InProgress:
                return new PlaceOrderResult(PlaceOrderStatus.InProgress, null);
            case CreateOrderStatus.ExistingForKey:
                // The order item owes its OrderPlaced until an outcome is applied; the relay publishes it if the
                // original request could not.
                return new PlaceOrderResult(PlaceOrderStatus.Replayed, created.Order!.OrderId);
        }

        // Created: this request wrote the order (perhaps through an SDK retry of its own Put): publish it.
        return new PlaceOrderResult(PlaceOrderStatus.Accepted, orderId, await PublishInlineAsync(outgoing, cancellationToken));
    }

    /// <summary>Asks for the cancellation of <paramref name="orderId"/> on behalf of <paramref name="caller"/>.</summary>
    /// <remarks>Rules, by the order's status: <c>REJECTED</c> or <c>CANCELLED</c> → <see cref="CancelOrderStatus.NotCancellable"/>;
    /// <c>CANCELLING</c> → <see cref="CancelOrderStatus.AlreadyCancelling"/>; <c>PENDING</c> or <c>COMPLETED</c> → one
    /// transaction makes it <c>CANCELLING</c> and writes the <c>OrderCancelled</c> outbox entry (event id
    /// <c>EventIds.For(orderId, "orders", "CANCELLED")</c>), then the fact is published inline as for a new order.
    /// When a concurrent change beats the conditional write, the order is read again and the rules applied again
    /// (at most <see cref="CancelAttempts"/> times).</remarks>
    /// <exception cref="InvalidOperationException">The order kept changing under every attempt.</exception>
    public async Task<CancelOrderResult> CancelAsync(string orderId, Caller caller, string correlationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        for (var attempt = 0; attempt < CancelAttempts; attempt++)
        {
            var order = await _store.GetAsync(orderId, cancellationToken);
            if (order is null)
            {
                return new CancelOrderResult(CancelOrderStatus.NotFound, null);
            }

            var placed = EventParser.Bind(EventParser.ParseEnvelope(order.EventJson), ContractsJsonContext.Default.OrderPlaced).Data;
            if (!caller.MayRead(placed.Customer.Id))
            {
                return new CancelOrderResult(CancelOrderStatus.NotFound, null);
            }

            var status = order.Status;
            switch (status)
            {
                case OrderStatuses.Rejected or OrderStatuses.Cancelled:
                    return new CancelOrderResult(CancelOrderStatus.NotCancellable, status);
                case OrderStatuses.Cancelling:
                    return new CancelOrderResult(CancelOrderStatus.AlreadyCancelling, status);
            }

            var now = _time.GetUtcNow();
            var cancelled = new OrderCancelled
            {
                OrderId = order.OrderId,
                Customer = placed.Customer,
                CancelledAt = now,
                CancelledBy = caller.IsOperator ? CancellationRequesters.Operator : CancellationRequesters.Customer,
            };
            var outgoing = OutgoingEvents.Create(
                EventIds.For(order.OrderId, ServiceName, "CANCELLED"),
                EventSources.Orders,
                EventTypes.OrderCancelled,
                order.OrderId,
                correlationId,
                now,
                cancelled,
                ContractsJsonContext.Default.CloudEventOrderCancelled);
            var entry = new OutboxEntry(outgoing, order.OrderId, now);
            if (await _store.RequestCancelAsync(order, entry, now, cancellationToken))
            {
                return new CancelOrderResult(CancelOrderStatus.Accepted, OrderStatuses.Cancelling, await DispatchInlineAsync(entry, cancellationToken));
            }
        }

        throw new InvalidOperationException($"Order {orderId} changed under each of {CancelAttempts} cancellation attempts.");
    }

    /// <summary>Publishes <paramref name="placed"/>, waiting at most the inline timeout. Nothing is deleted: the order
    /// item stops owing the fact when its first outcome is applied.</summary>
    /// <returns>Null when it was published; otherwise what stopped it (the relay publishes it after its grace).</returns>
    private Task<Exception?> PublishInlineAsync(OutgoingEvent placed, CancellationToken cancellationToken) =>
        WithinInlineTimeoutAsync(token => _publisher.PublishAsync(placed, token), cancellationToken);

    /// <summary>Publishes and deletes <paramref name="entry"/>, waiting at most the inline timeout.</summary>
    /// <returns>Null when it was published; otherwise what stopped it (the entry stays for the relay).</returns>
    private Task<Exception?> DispatchInlineAsync(OutboxEntry entry, CancellationToken cancellationToken) =>
        WithinInlineTimeoutAsync(token => _dispatcher.DispatchAsync(entry, token), cancellationToken);

    private async Task<Exception?> WithinInlineTimeoutAsync(Func<CancellationToken, Task> publish, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_inlinePublishTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await publish(linked.Token);
            return null;
        }
#pragma warning disable CA1031 // Any failure means the same thing here: the durable entry is published later.
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
        {
            return ex;
        }
    }

    /// <summary>The order as <paramref name="caller"/> may see it.</summary>
    /// <returns>Null when there is no such order, and equally when the caller is neither its customer nor an
    /// operator: the answer must not reveal that someone else's order exists.</returns>
    public async Task<OrderView?> GetAsync(string orderId, Caller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var order = await _store.GetAsync(orderId, cancellationToken);
        if (order is null)
        {
            return null;
        }

        var placed = OrderPlacedEvents.DataOf(order.EventJson);
        if (!caller.MayRead(placed.Customer.Id))
        {
            return null;
        }

        return new OrderView
        {
            OrderId = order.OrderId,
            Status = order.Status,
            CreatedAt = order.CreatedAt,
            Customer = placed.Customer,
            Items = placed.Items,
            Services = new Dictionary<string, string>(order.Statuses),
            CorrelationId = order.CorrelationId,
            AppliedAt = new Dictionary<string, DateTimeOffset>(order.AppliedAt),
            CompletedAt = order.CompletedAt,
        };
    }
}

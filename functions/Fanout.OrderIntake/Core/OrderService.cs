using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Fanout.Contracts.Events;
using Fanout.Functions.Common.Publishing;
using Fanout.Orders.Core;

namespace Fanout.OrderIntake.Core;

public enum PlaceOrderStatus
{
    Accepted,

    /// <summary>Same idempotency key, same request: the original order, published if it was not yet.</summary>
    Replayed,

    /// <summary>Same idempotency key, different request.</summary>
    KeyConflict,

    /// <summary>Another request with the same idempotency key is being written right now; retry shortly.</summary>
    InProgress,

    /// <summary>Stored, but OrderPlaced could not be published; retrying with the same key publishes it.</summary>
    PublishFailed,

    /// <summary>The caller may not place this order (another customer's, or no customer id of their own);
    /// <see cref="PlaceOrderResult.Refusal"/> says why. Nothing was stored.</summary>
    Forbidden,
}

/// <param name="Refusal">Why the order was <see cref="PlaceOrderStatus.Forbidden"/>; null otherwise.</param>
public sealed record PlaceOrderResult(PlaceOrderStatus Status, string? OrderId, Exception? Error = null, string? Refusal = null);

/// <summary>The order service's rules: store first (conditionally, never overwriting), then publish the
/// fact; a key replays the same order and settles a publish that failed before.</summary>
/// <remarks>Storing and publishing are two writes to two systems (the dual-write problem). The order is the
/// source of truth and remembers whether its fact went out (<c>publishedAt</c>); an unpublished order is
/// re-published by the next request with its idempotency key.</remarks>
public sealed class OrderService
{
    public const string ServiceName = "orders";
    private readonly IOrderStore _store;
    private readonly IEventPublisher _publisher;
    private readonly TimeProvider _time;

    public OrderService(IOrderStore store, IEventPublisher publisher, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(publisher);
        ArgumentNullException.ThrowIfNull(time);
        _store = store;
        _publisher = publisher;
        _time = time;
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
    /// <param name="idempotencyKey">The client's key, or null; keys are scoped to the caller, so two callers'
    /// equal keys are two keys.</param>
    public async Task<PlaceOrderResult> PlaceAsync(PlaceOrderCommand command, Caller caller, string? idempotencyKey, string correlationId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(caller);
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
        var orderId = Guid.CreateVersion7(now).ToString();
        var placed = new OrderPlaced { OrderId = orderId, Customer = command.Customer, Items = command.Items, PlacedAt = now };
        var outgoing = OutgoingEvents.Create(
            EventIds.For(orderId, ServiceName, "PLACED"),
            EventSources.Orders,
            EventTypes.OrderPlaced,
            orderId,
            correlationId,
            now,
            placed,
            ContractsJsonContext.Default.CloudEventOrderPlaced);
        var statuses = TrackedServices.All.ToDictionary(s => s, _ => ServiceStatus.Pending);
        var record = new OrderRecord(orderId, outgoing.Json, correlationId, RequestHash(command), now, null, statuses);

        var scopedKey = idempotencyKey is null ? null : ScopeIdempotencyKey(caller.Subject, idempotencyKey);
        var created = await _store.CreateAsync(record, scopedKey, cancellationToken);
        switch (created.Status)
        {
            case CreateOrderStatus.KeyConflict:
                return new PlaceOrderResult(PlaceOrderStatus.KeyConflict, null);
            case CreateOrderStatus.InProgress:
                return new PlaceOrderResult(PlaceOrderStatus.InProgress, null);
        }

        var order = created.Order!;
        var status = created.Status == CreateOrderStatus.ExistingForKey ? PlaceOrderStatus.Replayed : PlaceOrderStatus.Accepted;
        if (order.PublishedAt is not null)
        {
            return new PlaceOrderResult(status, order.OrderId);
        }

        try
        {
            var stored = EventParser.ParseEnvelope(order.EventJson);
            await _publisher.PublishAsync(new OutgoingEvent(stored.Id!, stored.Type!, stored.CorrelationId!, order.EventJson), cancellationToken);
        }
#pragma warning disable CA1031 // Any publish failure means the same thing to the client: stored, retry with the key.
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
        {
            return new PlaceOrderResult(PlaceOrderStatus.PublishFailed, order.OrderId, ex);
        }

        await _store.MarkPublishedAsync(order.OrderId, _time.GetUtcNow(), cancellationToken);
        return new PlaceOrderResult(status, order.OrderId);
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

        var placed = EventParser.Bind(EventParser.ParseEnvelope(order.EventJson), ContractsJsonContext.Default.OrderPlaced).Data;
        if (!caller.MayRead(placed.Customer.Id))
        {
            return null;
        }

        return new OrderView
        {
            OrderId = order.OrderId,
            Status = OverallStatus(order.Statuses),
            CreatedAt = order.CreatedAt,
            Customer = placed.Customer,
            Items = placed.Items,
            Services = new Dictionary<string, string>(order.Statuses),
            CorrelationId = order.CorrelationId,
        };
    }

    public static string OverallStatus(IReadOnlyDictionary<string, string> statuses)
    {
        ArgumentNullException.ThrowIfNull(statuses);
        if (statuses.Values.Any(s => s == ServiceStatus.Pending))
        {
            return "PENDING";
        }

        return statuses.TryGetValue(TrackedServices.Inventory, out var inventory) && inventory == ServiceStatus.Rejected ? "REJECTED" : "COMPLETED";
    }
}

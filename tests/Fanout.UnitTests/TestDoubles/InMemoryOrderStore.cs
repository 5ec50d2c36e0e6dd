using Fanout.Orders;
using Fanout.Orders.Core;

namespace Fanout.UnitTests.TestDoubles;

/// <summary>An <see cref="IOrderStore"/> with the same conditional semantics as the DynamoDB store: an order id is
/// written once, an idempotency key remembers its order and request hash, and a service status moves from PENDING
/// to one final value once per event id. A key past <see cref="DynamoOrderStore.KeyRetention"/> (by the given clock)
/// counts as unused, as the DynamoDB store's condition makes it.</summary>
internal sealed class InMemoryOrderStore(TimeProvider? time = null) : IOrderStore
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, OrderRecord> _orders = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string OrderId, string RequestHash, long ExpiresAt)> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _appliedEvents = new(StringComparer.Ordinal);

    /// <summary>When set, <see cref="CreateAsync"/> throws it (a store outage).</summary>
    public Exception? FailCreateWith { get; set; }

    /// <summary>When set, <see cref="CreateAsync"/> with a key answers <see cref="CreateOrderStatus.InProgress"/>
    /// and writes nothing (a concurrent request holds the key).</summary>
    public bool KeyBusy { get; set; }

    public IReadOnlyList<OrderRecord> Orders
    {
        get
        {
            lock (_gate)
            {
                return [.. _orders.Values];
            }
        }
    }

    public IReadOnlyCollection<string> IdempotencyKeys
    {
        get
        {
            lock (_gate)
            {
                return [.. _keys.Keys];
            }
        }
    }

    public void Add(OrderRecord order)
    {
        lock (_gate)
        {
            _orders.Add(order.OrderId, order);
        }
    }

    public OrderRecord? Find(string orderId)
    {
        lock (_gate)
        {
            return _orders.GetValueOrDefault(orderId);
        }
    }

    public Task<CreateOrderResult> CreateAsync(OrderRecord order, string? idempotencyKey, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (FailCreateWith is { } failure)
        {
            throw failure;
        }

        if (KeyBusy && idempotencyKey is not null)
        {
            return Task.FromResult(new CreateOrderResult(CreateOrderStatus.InProgress, null));
        }

        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        lock (_gate)
        {
            if (idempotencyKey is not null && _keys.TryGetValue(idempotencyKey, out var existing) && existing.ExpiresAt >= now)
            {
                return Task.FromResult(existing.RequestHash == order.RequestHash
                    ? new CreateOrderResult(CreateOrderStatus.ExistingForKey, _orders[existing.OrderId])
                    : new CreateOrderResult(CreateOrderStatus.KeyConflict, null));
            }

            if (!_orders.TryAdd(order.OrderId, order))
            {
                throw new InvalidOperationException($"Order {order.OrderId} already exists: the store never overwrites.");
            }

            if (idempotencyKey is not null)
            {
                _keys[idempotencyKey] = (order.OrderId, order.RequestHash, now + (long)DynamoOrderStore.KeyRetention.TotalSeconds);
            }

            return Task.FromResult(new CreateOrderResult(CreateOrderStatus.Created, order));
        }
    }

    public Task<OrderRecord?> GetAsync(string orderId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Find(orderId));
    }

    public Task MarkPublishedAsync(string orderId, DateTimeOffset publishedAt, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            var order = _orders.GetValueOrDefault(orderId) ?? throw new InvalidOperationException($"Order {orderId} does not exist.");
            _orders[orderId] = order with { PublishedAt = order.PublishedAt ?? publishedAt };
        }

        return Task.CompletedTask;
    }

    public Task<ApplyOutcomeStatus> ApplyOutcomeAsync(string orderId, string eventId, string service, string status, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            if (!_orders.TryGetValue(orderId, out var order))
            {
                return Task.FromResult(ApplyOutcomeStatus.OrderMissing);
            }

            var applied = _appliedEvents.TryGetValue(orderId, out var ids) ? ids : _appliedEvents[orderId] = new HashSet<string>(StringComparer.Ordinal);
            if (applied.Contains(eventId))
            {
                return Task.FromResult(ApplyOutcomeStatus.Duplicate);
            }

            var current = order.Statuses.GetValueOrDefault(service, ServiceStatus.Pending);
            if (current != ServiceStatus.Pending && current != status)
            {
                return Task.FromResult(ApplyOutcomeStatus.Conflict);
            }

            applied.Add(eventId);
            var statuses = new Dictionary<string, string>(order.Statuses, StringComparer.Ordinal) { [service] = status };
            _orders[orderId] = order with { Statuses = statuses };
            return Task.FromResult(ApplyOutcomeStatus.Applied);
        }
    }
}

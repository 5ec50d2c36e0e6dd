using Fanout.Orders;
using Fanout.Orders.Core;
using Fanout.Orders.Outbox;

namespace Fanout.UnitTests.TestDoubles;

/// <summary>An <see cref="IOrderStore"/> with the same conditional semantics as the DynamoDB store: an order id is
/// written once, an idempotency key remembers its order and request hash, and a service status moves from PENDING
/// to one final value once per event id. A key past <see cref="DynamoOrderStore.KeyRetention"/> (by the given clock)
/// counts as unused, as the DynamoDB store's condition makes it.
/// Create writes the key record, then the order (its own OrderPlaced outbox entry), and a retry with the same key
/// finishes a creation stopped between the two (<see cref="StopAfterKey"/>); cancel writes its outbox entry atomically
/// with the order change; outcomes are decided by <see cref="OutcomeRules.Decide"/> and settle the order as the
/// DynamoDB store does (appliedAt, completedAt, CANCELLING + RELEASED → CANCELLED; settled orders lose
/// <see cref="OrderRecord.OpenSince"/>).</summary>
internal sealed class InMemoryOrderStore(TimeProvider? time = null) : IOrderStore, IOutbox, IOrderReader
{
    private readonly Dictionary<string, OutboxEntry> _outbox = new(StringComparer.Ordinal);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, OrderRecord> _orders = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string OrderId, string RequestHash, long ExpiresAt, DateTimeOffset CreatedAt, string CorrelationId)> _keys = new(StringComparer.Ordinal);

    /// <summary>When set, the next <see cref="CreateAsync"/> writes the key record only and then throws it (a crash
    /// between the two writes), then clears it.</summary>
    public Exception? StopAfterKey { get; set; }

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

    public IOutbox Outbox => this;

    /// <summary>The outbox entries still pending (written, not yet completed).</summary>
    public IReadOnlyList<OutboxEntry> PendingEntries
    {
        get
        {
            lock (_gate)
            {
                return [.. _outbox.Values];
            }
        }
    }

    /// <summary>Every entry ever written, in order.</summary>
    public List<OutboxEntry> WrittenEntries { get; } = [];

    /// <summary>When set, <see cref="RequestCancelAsync"/> first runs it (a concurrent change slipping in between the
    /// caller's read and its conditional write), then clears it.</summary>
    public Action<InMemoryOrderStore>? BeforeCancelWrite { get; set; }

    /// <summary>Replaces a stored order (test set-up).</summary>
    public void Replace(OrderRecord order)
    {
        lock (_gate)
        {
            _orders[order.OrderId] = order;
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

    public Task<CreateOrderResult> CreateAsync(OrderRecord order, string idempotencyKey, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (FailCreateWith is { } failure)
        {
            throw failure;
        }

        if (KeyBusy)
        {
            return Task.FromResult(new CreateOrderResult(CreateOrderStatus.InProgress, null));
        }

        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        lock (_gate)
        {
            if (_keys.TryGetValue(idempotencyKey, out var existing) && existing.ExpiresAt >= now)
            {
                if (existing.RequestHash != order.RequestHash)
                {
                    return Task.FromResult(new CreateOrderResult(CreateOrderStatus.KeyConflict, null));
                }

                if (_orders.TryGetValue(existing.OrderId, out var stored))
                {
                    return Task.FromResult(new CreateOrderResult(CreateOrderStatus.ExistingForKey, stored));
                }

                // The key names an order never written: finish it (same id, time, correlation id, data).
                var placed = OrderPlacedEvents.DataOf(order.EventJson);
                placed.OrderId = existing.OrderId;
                placed.PlacedAt = existing.CreatedAt;
                var resumed = order with
                {
                    OrderId = existing.OrderId,
                    CorrelationId = existing.CorrelationId,
                    CreatedAt = existing.CreatedAt,
                    EventJson = OrderPlacedEvents.Create(placed, existing.CorrelationId, existing.CreatedAt).Json,
                    OpenSince = existing.CreatedAt,
                };
                _orders.Add(resumed.OrderId, resumed);
                return Task.FromResult(new CreateOrderResult(CreateOrderStatus.Created, resumed));
            }

            _keys[idempotencyKey] = (order.OrderId, order.RequestHash, now + (long)DynamoOrderStore.KeyRetention.TotalSeconds, order.CreatedAt, order.CorrelationId);
            if (StopAfterKey is { } crash)
            {
                StopAfterKey = null;
                throw crash;
            }

            if (!_orders.TryAdd(order.OrderId, order with { OpenSince = order.CreatedAt }))
            {
                throw new InvalidOperationException($"Order {order.OrderId} already exists: the store never overwrites.");
            }

            return Task.FromResult(new CreateOrderResult(CreateOrderStatus.Created, _orders[order.OrderId]));
        }
    }

    public Task<bool> RequestCancelAsync(OrderRecord seen, OutboxEntry cancelled, DateTimeOffset at, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (BeforeCancelWrite is { } before)
        {
            BeforeCancelWrite = null;
            before(this);
        }

        lock (_gate)
        {
            // As DynamoOrderStore's condition: only a lifecycle already set, or REJECTED, forbids the write.
            if (!_orders.TryGetValue(seen.OrderId, out var current) || current.Lifecycle is not null
                || OrderStatuses.Of(current.Statuses) == OrderStatuses.Rejected)
            {
                return Task.FromResult(false);
            }

            if (!_outbox.TryAdd(cancelled.EventId, cancelled))
            {
                throw new InvalidOperationException($"Outbox entry {cancelled.EventId} already exists: the store never overwrites.");
            }

            WrittenEntries.Add(cancelled);
            _orders[seen.OrderId] = current with { Lifecycle = OrderStatuses.Cancelling, CancelEventJson = cancelled.Event.Json, OpenSince = at };
            return Task.FromResult(true);
        }
    }

    Task<OutboxEntry?> IOutbox.GetAsync(string eventId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            return Task.FromResult(_outbox.GetValueOrDefault(eventId));
        }
    }

    Task IOutbox.CompleteAsync(string eventId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            _outbox.Remove(eventId);
        }

        return Task.CompletedTask;
    }

    public Task<OrderRecord?> GetAsync(string orderId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Find(orderId));
    }

    public Task<ApplyOutcomeResult> ApplyOutcomeAsync(string orderId, string eventId, string service, string status, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            if (!_orders.TryGetValue(orderId, out var order))
            {
                return Task.FromResult(new ApplyOutcomeResult(ApplyOutcomeStatus.OrderMissing));
            }

            var decision = OutcomeRules.Decide(order, eventId, service, status);
            if (decision != ApplyOutcomeStatus.Applied)
            {
                return Task.FromResult(new ApplyOutcomeResult(decision, order.CreatedAt));
            }

            var now = _time.GetUtcNow();
            var statuses = new Dictionary<string, string>(order.Statuses, StringComparer.Ordinal) { [service] = status };
            var settles = statuses.Values.All(s => s != ServiceStatus.Pending);
            var cancelled = order.Lifecycle == OrderStatuses.Cancelling && service == TrackedServices.Inventory && status == ServiceStatus.Released;
            order = order with
            {
                Statuses = statuses,
                AppliedAt = new Dictionary<string, DateTimeOffset>(order.AppliedAt, StringComparer.Ordinal) { [service] = now },
                AppliedEvents = new HashSet<string>(order.AppliedEvents, StringComparer.Ordinal) { eventId },
                CompletedAt = order.CompletedAt ?? (settles ? now : null),
                Lifecycle = cancelled ? OrderStatuses.Cancelled : order.Lifecycle,
                OpenSince = cancelled || (order.Lifecycle is null && settles) ? null : order.OpenSince,
            };
            _orders[orderId] = order;
            return Task.FromResult(new ApplyOutcomeResult(ApplyOutcomeStatus.Applied, order.CreatedAt, now));
        }
    }
}

using Fanout.Orders;
using Fanout.Orders.Core;
using Fanout.Orders.Outbox;

namespace Fanout.UnitTests.TestDoubles;

/// <summary>An <see cref="IOrderStore"/> with the same conditional semantics as the DynamoDB store: an order id is
/// written once, its id derived from the idempotency key and the UTC day (<see cref="OrderIds"/>), and a service status
/// moves from PENDING to one final value once per event id. As in the DynamoDB store, the previous day's order owns
/// the key until it is older than <see cref="DynamoOrderStore.KeyRetention"/>, then today's id does; create writes
/// the order alone (its own OrderPlaced outbox entry and key record); cancel writes its outbox entry atomically
/// with the order change; outcomes are decided by <see cref="OutcomeRules.Decide"/> and settle the order as the
/// DynamoDB store does (appliedAt, completedAt, CANCELLING + RELEASED → CANCELLED; settled orders lose
/// <see cref="OrderRecord.OpenSince"/>).</summary>
internal sealed class InMemoryOrderStore(TimeProvider? time = null) : IOrderStore, IOutbox, IOrderReader
{
    private readonly Dictionary<string, OutboxEntry> _outbox = new(StringComparer.Ordinal);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, OrderRecord> _orders = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _keys = new(StringComparer.Ordinal);

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
                return [.. _keys.Values.Distinct(StringComparer.Ordinal)];
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

        var day = OrderIds.DayOf(order.CreatedAt);
        if (order.OrderId != OrderIds.ForKey(idempotencyKey, day))
        {
            throw new ArgumentException($"Order id {order.OrderId} is not the one the idempotency key names on day {day}.", nameof(order));
        }

        lock (_gate)
        {
            // As DynamoOrderStore: the previous day's order owns the key while younger than 24 h, then today's id.
            if (_orders.TryGetValue(OrderIds.ForKey(idempotencyKey, day - 1), out var previous)
                && order.CreatedAt - previous.CreatedAt <= DynamoOrderStore.KeyRetention)
            {
                return Task.FromResult(Replay(previous, order));
            }

            if (_orders.TryGetValue(order.OrderId, out var existing))
            {
                return Task.FromResult(Replay(existing, order));
            }

            _keys[order.OrderId] = idempotencyKey;
            _orders.Add(order.OrderId, order with { OpenSince = order.CreatedAt });
            return Task.FromResult(new CreateOrderResult(CreateOrderStatus.Created, _orders[order.OrderId]));
        }
    }

    private static CreateOrderResult Replay(OrderRecord existing, OrderRecord order) =>
        existing.RequestHash == order.RequestHash
            ? new CreateOrderResult(CreateOrderStatus.ExistingForKey, existing)
            : new CreateOrderResult(CreateOrderStatus.KeyConflict, null);

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

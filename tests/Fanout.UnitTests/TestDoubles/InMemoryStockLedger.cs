using Fanout.Inventory.Core;

namespace Fanout.UnitTests.TestDoubles;

/// <summary>An <see cref="IStockLedger"/> with the contract's semantics: an event's outcome is recorded once;
/// a reservation takes every line or none and never goes below zero; a cancelled order (tombstone) reserves nothing;
/// a release gives back a reservation once.</summary>
internal sealed class InMemoryStockLedger : IStockLedger
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _stock = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RecordedOutcome> _outcomes = new(StringComparer.Ordinal);
    private readonly List<IReadOnlyList<StockLine>> _reserveRequests = [];
    private readonly Dictionary<string, (bool Released, IReadOnlyList<StockLine> Lines)> _reservations = new(StringComparer.Ordinal);
    private readonly HashSet<string> _tombstones = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _placedEvents = new(StringComparer.Ordinal);

    /// <summary>Whether the order has a cancellation tombstone.</summary>
    public bool IsCancelled(string orderId)
    {
        lock (_gate)
        {
            return _tombstones.Contains(orderId);
        }
    }

    /// <summary>The order's reservation: its lines and whether it was released; null when it holds none.</summary>
    public (bool Released, IReadOnlyList<StockLine> Lines)? Reservation(string orderId)
    {
        lock (_gate)
        {
            return _reservations.TryGetValue(orderId, out var reservation) ? reservation : null;
        }
    }

    /// <summary>When set, this outcome is recorded for the event just before a rejection is recorded: another
    /// invocation won the race between "insufficient" and "record the rejection".</summary>
    public RecordedOutcome? RecordedByConcurrentInvocation { get; set; }

    public IReadOnlyList<IReadOnlyList<StockLine>> ReserveRequests
    {
        get
        {
            lock (_gate)
            {
                return [.. _reserveRequests];
            }
        }
    }

    public void SetStock(string sku, int available)
    {
        lock (_gate)
        {
            _stock[sku] = available;
        }
    }

    public int? Stock(string sku)
    {
        lock (_gate)
        {
            return _stock.TryGetValue(sku, out var available) ? available : null;
        }
    }

    public void Record(string eventId, RecordedOutcome outcome)
    {
        lock (_gate)
        {
            _outcomes[eventId] = outcome;
        }
    }

    public RecordedOutcome? Outcome(string eventId)
    {
        lock (_gate)
        {
            return _outcomes.GetValueOrDefault(eventId);
        }
    }

    public Task<ReservationResult> TryReserveAsync(
        string eventId, string orderId, string payloadHash, IReadOnlyList<StockLine> lines, string reservedOutcomeJson, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            _reserveRequests.Add(lines);
            if (_outcomes.TryGetValue(eventId, out var existing))
            {
                return Task.FromResult(new ReservationResult(ReservationStatus.AlreadyHandled, [], existing));
            }

            _placedEvents[orderId] = eventId;
            if (_tombstones.Contains(orderId))
            {
                _outcomes[eventId] = new RecordedOutcome(payloadHash, RecordedOutcome.NoFact);
                return Task.FromResult(new ReservationResult(ReservationStatus.Cancelled, [], null));
            }

            var unavailable = lines.Where(l => !_stock.TryGetValue(l.Sku, out var available) || available < l.Quantity).Select(l => l.Sku).ToList();
            if (unavailable.Count > 0)
            {
                return Task.FromResult(new ReservationResult(ReservationStatus.Insufficient, unavailable, null));
            }

            foreach (var line in lines)
            {
                _stock[line.Sku] -= line.Quantity;
            }

            _outcomes[eventId] = new RecordedOutcome(payloadHash, reservedOutcomeJson);
            _reservations[orderId] = (false, [.. lines]);
            return Task.FromResult(new ReservationResult(ReservationStatus.Reserved, [], null));
        }
    }

    public Task<RecordedOutcome?> TryRecordRejectionAsync(string eventId, string orderId, string payloadHash, string rejectedOutcomeJson, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            if (RecordedByConcurrentInvocation is { } raced)
            {
                _outcomes.TryAdd(eventId, raced);
            }

            if (_outcomes.TryGetValue(eventId, out var existing))
            {
                return Task.FromResult<RecordedOutcome?>(existing);
            }

            if (_tombstones.Contains(orderId))
            {
                var none = new RecordedOutcome(payloadHash, RecordedOutcome.NoFact);
                _outcomes[eventId] = none;
                return Task.FromResult<RecordedOutcome?>(none);
            }

            _placedEvents[orderId] = eventId;
            _outcomes[eventId] = new RecordedOutcome(payloadHash, rejectedOutcomeJson);
            return Task.FromResult<RecordedOutcome?>(null);
        }
    }

    public Task<ReleaseResult> TryReleaseAsync(string eventId, string orderId, string payloadHash, Func<IReadOnlyList<StockLine>, string> releasedOutcomeJson, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            if (_outcomes.TryGetValue(eventId, out var existing))
            {
                return Task.FromResult(new ReleaseResult(ReleaseStatus.AlreadyHandled, [], existing));
            }

            _tombstones.Add(orderId);
            IReadOnlyList<StockLine> released = [];
            if (_reservations.TryGetValue(orderId, out var reservation))
            {
                if (!reservation.Released)
                {
                    released = reservation.Lines;
                    foreach (var line in released)
                    {
                        _stock[line.Sku] = _stock.GetValueOrDefault(line.Sku) + line.Quantity;
                    }

                    _reservations[orderId] = (true, reservation.Lines);
                }
            }

            var outcome = new RecordedOutcome(payloadHash, releasedOutcomeJson(reservation.Released ? reservation.Lines : released));
            _outcomes[eventId] = outcome;
            // As DynamoStockLedger: once cancelled, the order's OrderPlaced fact is dropped (InventoryReleased is the last word).
            if (_placedEvents.TryGetValue(orderId, out var placedId) && _outcomes.TryGetValue(placedId, out var placed))
            {
                _outcomes[placedId] = placed with { OutcomeJson = RecordedOutcome.NoFact };
            }

            return Task.FromResult(new ReleaseResult(ReleaseStatus.Released, released, outcome));
        }
    }
}

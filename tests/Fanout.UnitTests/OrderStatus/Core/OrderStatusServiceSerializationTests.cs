using System.Collections.Concurrent;
using Fanout.Orders.Core;
using Fanout.Orders.Outbox;
using Fanout.OrderStatus.Core;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.OrderStatus.Core;

/// <summary>Outcomes of one order handled at once (the batch runs records in parallel) reach the store one at a
/// time; outcomes of other orders do not wait for them.</summary>
[Trait("Category", "Unit")]
public sealed class OrderStatusServiceSerializationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ApplyAsync_OutcomesOfOneOrderAtOnce_ReachTheStoreOneAtATimeOtherOrdersDoNotWait()
    {
        var orders = new InMemoryOrderStore(TestClock.Create());
        foreach (var id in (string[])["order-a", "order-b"])
        {
            var placed = new OrderPlacedBuilder().WithOrderId(id).Build();
            orders.Add(new OrderRecord(id, OrderPlacedEvents.Create(placed, "corr-" + id, TestClock.Start).Json, "corr-" + id, "hash-" + id, TestClock.Start, TrackedServices.All.ToDictionary(s => s, _ => ServiceStatus.Pending)));
        }

        var store = new HoldingStore(orders);
        var service = new OrderStatusService(store);
        var updates = new[]
        {
            new OutcomeUpdate("e-sms", "order-a", TrackedServices.Sms, ServiceStatus.Sent),
            new OutcomeUpdate("e-email", "order-a", TrackedServices.Email, ServiceStatus.Sent),
            new OutcomeUpdate("e-inventory", "order-a", TrackedServices.Inventory, ServiceStatus.Reserved),
            new OutcomeUpdate("e-sms-b", "order-b", TrackedServices.Sms, ServiceStatus.Sent),
        };

        var applying = updates.Select(u => Task.Run(() => service.ApplyAsync(u, Ct), Ct)).ToList();

        // Two enter (one of order-a, and order-b); without the gate all four would.
        await store.Entered.WaitAsync(Ct);
        await store.Entered.WaitAsync(Ct);
        Assert.Equal(1, store.InFlight("order-a"));
        Assert.Equal(1, store.InFlight("order-b"));
        store.Release.SetResult();
        var results = await Task.WhenAll(applying);

        Assert.All(results, r => Assert.Equal(ApplyOutcomeStatus.Applied, r.Status));

        Assert.Equal(1, store.MaxInFlight("order-a"));
        Assert.Equal(4, store.Calls);
    }

    /// <summary>Counts concurrent applies per order and holds each until <see cref="Release"/> completes.</summary>
    private sealed class HoldingStore(InMemoryOrderStore inner) : IOrderStore
    {
        private readonly ConcurrentDictionary<string, int> _inFlight = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, int> _max = new(StringComparer.Ordinal);
        private int _calls;

        public SemaphoreSlim Entered { get; } = new(0);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Calls => Volatile.Read(ref _calls);

        public IOutbox Outbox => inner.Outbox;

        public int InFlight(string orderId) => _inFlight.GetValueOrDefault(orderId);

        public int MaxInFlight(string orderId) => _max.GetValueOrDefault(orderId);

        public Task<CreateOrderResult> CreateAsync(OrderRecord order, string idempotencyKey, CancellationToken cancellationToken) => inner.CreateAsync(order, idempotencyKey, cancellationToken);

        public Task<OrderRecord?> GetAsync(string orderId, CancellationToken cancellationToken) => inner.GetAsync(orderId, cancellationToken);

        public Task<bool> RequestCancelAsync(OrderRecord seen, OutboxEntry cancelled, DateTimeOffset at, CancellationToken cancellationToken) => inner.RequestCancelAsync(seen, cancelled, at, cancellationToken);

        public async Task<ApplyOutcomeResult> ApplyOutcomeAsync(string orderId, string eventId, string service, string status, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            var now = _inFlight.AddOrUpdate(orderId, 1, (_, n) => n + 1);
            _max.AddOrUpdate(orderId, now, (_, m) => Math.Max(m, now));
            Entered.Release();
            try
            {
                await Release.Task.WaitAsync(cancellationToken);
                return await inner.ApplyOutcomeAsync(orderId, eventId, service, status, cancellationToken);
            }
            finally
            {
                _inFlight.AddOrUpdate(orderId, 0, (_, n) => n - 1);
            }
        }
    }
}

using Amazon.DynamoDBv2.Model;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.Harness;
using Fanout.IntegrationTests.Support;
using Fanout.OrderIntake.Core;
using Fanout.Orders;
using Fanout.Orders.Core;

namespace Fanout.IntegrationTests.Orders;

/// <summary>The harness without the outbox relay: an order written straight through the store is published by
/// nobody, so only the test applies its outcomes.</summary>
public sealed class NoRelayFixture : FanoutFixture
{
    protected override LocalFanoutOptions Options => base.Options with { OutboxRelay = false };
}

/// <summary>The outcome update's condition on DynamoDB Local: two services' outcomes applied at once do not make each
/// other retry, and only the write that settles the order pins every service.</summary>
[Trait("Category", "Integration")]
public sealed class OutcomeConditionTests(NoRelayFixture fixture) : IClassFixture<NoRelayFixture>
{
    [Fact]
    public async Task OutcomeUpdate_FromAReadBeforeAnotherServicesOutcome_AppliesWhileOneIsPendingAndNeverSettlesBlind()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        var store = new DynamoOrderStore(fanout.Dynamo, fanout.Topology.TableFor(FanoutTopology.OrdersTable), TimeProvider.System);
        var now = TimeProvider.System.GetUtcNow();
        var key = OrderService.ScopeIdempotencyKey("it-outcomes", Guid.NewGuid().ToString());
        var orderId = OrderIds.ForKey(key, OrderIds.DayOf(now));
        var placed = new OrderPlaced
        {
            OrderId = orderId,
            Customer = new CustomerInfo { Id = "it-outcomes", Email = "it@example.com" },
            Items = [new OrderLine { Sku = "OUT-1", Quantity = 1 }],
            PlacedAt = now,
        };
        var record = new OrderRecord(orderId, OrderPlacedEvents.Create(placed, "corr-outcomes", now).Json, "corr-outcomes", "hash", now, TrackedServices.All.ToDictionary(s => s, _ => ServiceStatus.Pending));
        Assert.Equal(CreateOrderStatus.Created, (await store.CreateAsync(record, key, ct)).Status);
        var stale = (await store.GetAsync(orderId, ct))!;

        // Email's outcome lands between sms's read and sms's write: sms's write still applies (inventory is pending).
        Assert.Equal(ApplyOutcomeStatus.Applied, (await store.ApplyOutcomeAsync(orderId, "it-email-" + orderId, TrackedServices.Email, ServiceStatus.Sent, ct)).Status);
        await fanout.Dynamo.UpdateItemAsync(store.OutcomeUpdate(stale, "it-sms-" + orderId, TrackedServices.Sms, ServiceStatus.Sent, now), ct);

        // Inventory's write from the same old read believed sms and email pending, so it would not settle the order:
        // DynamoDB refuses it, and deciding again from the order as it is settles it.
        await Assert.ThrowsAsync<ConditionalCheckFailedException>(() => fanout.Dynamo.UpdateItemAsync(store.OutcomeUpdate(stale, "it-inv-" + orderId, TrackedServices.Inventory, ServiceStatus.Reserved, now), ct));
        Assert.Equal(ApplyOutcomeStatus.Applied, (await store.ApplyOutcomeAsync(orderId, "it-inv-" + orderId, TrackedServices.Inventory, ServiceStatus.Reserved, ct)).Status);

        var order = (await store.GetAsync(orderId, ct))!;
        Assert.Equal(OrderStatuses.Completed, order.Status);
        Assert.NotNull(order.CompletedAt);
        Assert.Null(order.OpenSince);
        Assert.Equal(3, order.AppliedEvents.Count);
    }
}

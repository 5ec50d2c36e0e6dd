using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.IntegrationTests.Support;

namespace Fanout.IntegrationTests.Lifecycle;

/// <summary>Cancelling: inventory gives back exactly what it reserved (or nothing, when the cancel overtook the
/// reservation), once however often the fact arrives, and each channel says "your order is cancelled" once.</summary>
[Trait("Category", "Integration")]
[Collection(LifecycleGroup.Name)]
public sealed class CancelTests(LifecycleFixture fixture)
{
    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();

    [Fact]
    public async Task Cancel_AfterTheReservation_StockBackToItsStartingValueAndOrderCancelled()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        var sku = Unique("CANCEL-AFTER");
        await fanout.Stock.SetAsync(sku, 20, ct);
        var orderId = await Lifecycle.PlaceAsync(fanout, Api.OrderJson(Unique("c"), "+14155550120", (sku, 3)), ct);
        var placed = await Lifecycle.WaitForStatusAsync(fanout, orderId, "COMPLETED", ct);
        Assert.Equal("RESERVED", placed!.Services["inventory"]);
        Assert.Equal(17, await fanout.Stock.GetAsync(sku, ct));

        var answer = await Lifecycle.CancelAsync(fanout, orderId, ct);

        Assert.True(answer.StatusCode == 202, $"cancel answered {answer.StatusCode}: {answer.Body}");
        var cancelled = await Lifecycle.WaitForStatusAsync(fanout, orderId, "CANCELLED", ct);
        Assert.Equal("RELEASED", cancelled!.Services["inventory"]);
        Assert.Equal(20, await fanout.Stock.GetAsync(sku, ct));
        await Eventually.WaitAsync(() => Lifecycle.NotificationsAsync(fanout, FanoutTopology.EmailTable, orderId), n => n.Count == 2, TimeSpan.FromSeconds(30), "the cancellation e-mail");
        await Eventually.WaitAsync(() => Lifecycle.NotificationsAsync(fanout, FanoutTopology.SmsTable, orderId), n => n.Count == 2, TimeSpan.FromSeconds(30), "the cancellation SMS");
        Assert.Equal([NotificationKinds.OrderCancelled, NotificationKinds.OrderReceived], await Lifecycle.NotificationsAsync(fanout, FanoutTopology.SmsTable, orderId));
        Assert.Equal([NotificationKinds.OrderCancelled, NotificationKinds.OrderReceived], await Lifecycle.NotificationsAsync(fanout, FanoutTopology.EmailTable, orderId));
    }

    [Fact]
    public async Task Cancel_OvertakesTheReservation_StockUnchangedAndOrderCancelled()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        var sku = Unique("CANCEL-RACE");
        var customer = Unique("race");
        await fanout.Stock.SetAsync(sku, 10, ct);
        var gate = fixture.HoldOrderPlaced(customer);

        var orderId = await Lifecycle.PlaceAsync(fanout, Api.OrderJson(customer, null, (sku, 4)), ct);
        await Eventually.WaitAsync(() => Task.FromResult(gate.HeldBack), held => held >= 1, TimeSpan.FromSeconds(30), "inventory to receive (and be held from) the OrderPlaced");
        var answer = await Lifecycle.CancelAsync(fanout, orderId, ct);
        Assert.True(answer.StatusCode == 202, $"cancel answered {answer.StatusCode}: {answer.Body}");

        // Inventory saw only the OrderCancelled: nothing was held, so it released nothing, and the order is CANCELLED
        // while its OrderPlaced is still on its way.
        var cancelled = await Lifecycle.WaitForStatusAsync(fanout, orderId, "CANCELLED", ct, seconds: 30);
        Assert.Equal(10, await fanout.Stock.GetAsync(sku, ct));

        gate.Open();
        await Eventually.WaitAsync(() => Task.FromResult(gate.Passed), passed => passed >= 1, TimeSpan.FromSeconds(60), "the late OrderPlaced to be handled");

        Assert.Equal(10, await fanout.Stock.GetAsync(sku, ct));
        var final = await Api.GetOrderAsync(fanout, orderId, ct);
        Assert.Equal("CANCELLED", final!.Status);
        Assert.NotEqual("RESERVED", final.Services["inventory"]);
    }

    [Fact]
    public async Task Cancel_OrderCancelledDeliveredThreeTimes_ReleasedOnceAndNotifiedOncePerChannel()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        var sku = Unique("CANCEL-DUPE");
        await fanout.Stock.SetAsync(sku, 50, ct);
        var orderId = await Lifecycle.PlaceAsync(fanout, Api.OrderJson(Unique("c"), "+14155550121", (sku, 5)), ct);
        await Lifecycle.WaitForStatusAsync(fanout, orderId, "COMPLETED", ct);
        Assert.Equal(45, await fanout.Stock.GetAsync(sku, ct));
        Assert.Equal(202, (await Lifecycle.CancelAsync(fanout, orderId, ct)).StatusCode);
        await Lifecycle.WaitForStatusAsync(fanout, orderId, "CANCELLED", ct);

        // The very bytes the order service published, twice more to every subscriber of OrderCancelled.
        var published = fixture.CancelledEvent(orderId);
        Assert.NotNull(published);
        Assert.Equal(EventTypes.OrderCancelled, published.Type);
        var copy = OutgoingEventCopy.Of(published);
        foreach (var consumer in new[] { FanoutTopology.Inventory, FanoutTopology.Sms, FanoutTopology.Email })
        {
            await Lifecycle.SendAgainAsync(fanout, consumer, copy, ct);
            await Lifecycle.SendAgainAsync(fanout, consumer, copy, ct);
        }

        await Eventually.WaitAsync(() => Lifecycle.ConsumerQueuesIdleAsync(fanout), idle => idle, TimeSpan.FromSeconds(60), "every copy to be consumed");
        Assert.Equal(50, await fanout.Stock.GetAsync(sku, ct));
        Assert.Equal("CANCELLED", (await Api.GetOrderAsync(fanout, orderId, ct))!.Status);

        // One "order received" and one "order cancelled" per channel: the provider was called twice, not four times.
        Assert.Equal(2, fixture.SmsCalls.For(orderId));
        Assert.Equal(2, fixture.EmailCalls.For(orderId));
        Assert.Equal([NotificationKinds.OrderCancelled, NotificationKinds.OrderReceived], await Lifecycle.NotificationsAsync(fanout, FanoutTopology.SmsTable, orderId));
        Assert.Equal([NotificationKinds.OrderCancelled, NotificationKinds.OrderReceived], await Lifecycle.NotificationsAsync(fanout, FanoutTopology.EmailTable, orderId));
    }
}

using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.IntegrationTests.Support;

namespace Fanout.IntegrationTests.Lifecycle;

/// <summary>Short stock: the order is REJECTED and the customer is told so once per channel, the SMS only when
/// there is a phone.</summary>
[Trait("Category", "Integration")]
[Collection(LifecycleGroup.Name)]
public sealed class RejectionNotificationTests(LifecycleFixture fixture)
{
    private static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();

    [Fact]
    public async Task ShortStock_WithPhone_RejectedAndOneCouldNotFulfilSmsAndEmail()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        var sku = Unique("SHORT-PHONE");
        await fanout.Stock.SetAsync(sku, 2, ct);

        var orderId = await Lifecycle.PlaceAsync(fanout, Api.OrderJson(Unique("c"), "+14155550122", (sku, 3)), ct);

        var rejected = await Lifecycle.WaitForStatusAsync(fanout, orderId, "REJECTED", ct);
        Assert.Equal("REJECTED", rejected!.Services["inventory"]);
        await Eventually.WaitAsync(() => Lifecycle.NotificationsAsync(fanout, FanoutTopology.SmsTable, orderId), n => n.Count == 2, TimeSpan.FromSeconds(30), "both SMS");
        await Eventually.WaitAsync(() => Lifecycle.NotificationsAsync(fanout, FanoutTopology.EmailTable, orderId), n => n.Count == 2, TimeSpan.FromSeconds(30), "both e-mails");
        await Eventually.WaitAsync(() => Lifecycle.ConsumerQueuesIdleAsync(fanout), idle => idle, TimeSpan.FromSeconds(60), "every queue to drain");
        Assert.Equal([NotificationKinds.OrderNotFulfilled, NotificationKinds.OrderReceived], await Lifecycle.NotificationsAsync(fanout, FanoutTopology.SmsTable, orderId));
        Assert.Equal([NotificationKinds.OrderNotFulfilled, NotificationKinds.OrderReceived], await Lifecycle.NotificationsAsync(fanout, FanoutTopology.EmailTable, orderId));
        Assert.Equal(2, fixture.SmsCalls.For(orderId));
        Assert.Equal(2, fixture.EmailCalls.For(orderId));
        Assert.Equal(2, await fanout.Stock.GetAsync(sku, ct));
    }

    [Fact]
    public async Task ShortStock_WithoutPhone_RejectedAndOnlyTheEmail()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        var sku = Unique("SHORT-NOPHONE");
        await fanout.Stock.SetAsync(sku, 0, ct);

        var orderId = await Lifecycle.PlaceAsync(fanout, Api.OrderJson(Unique("c"), null, (sku, 1)), ct);

        await Lifecycle.WaitForStatusAsync(fanout, orderId, "REJECTED", ct);
        await Eventually.WaitAsync(() => Lifecycle.NotificationsAsync(fanout, FanoutTopology.EmailTable, orderId), n => n.Count == 2, TimeSpan.FromSeconds(30), "both e-mails");
        await Eventually.WaitAsync(() => Lifecycle.ConsumerQueuesIdleAsync(fanout), idle => idle, TimeSpan.FromSeconds(60), "every queue to drain");
        Assert.Equal([NotificationKinds.OrderNotFulfilled, NotificationKinds.OrderReceived], await Lifecycle.NotificationsAsync(fanout, FanoutTopology.EmailTable, orderId));
        Assert.Empty(await Lifecycle.NotificationsAsync(fanout, FanoutTopology.SmsTable, orderId));
        Assert.Equal(0, fixture.SmsCalls.For(orderId));
        Assert.Equal(2, fixture.EmailCalls.For(orderId));
    }
}

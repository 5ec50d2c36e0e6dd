using Fanout.Contracts.Topology;
using Fanout.IntegrationTests.Support;
using Fanout.Inventory;

namespace Fanout.IntegrationTests;

/// <summary>100 valid orders flow through every service exactly once.</summary>
[Trait("Category", "Integration")]
public sealed class HappyPathTests(DefaultFanoutFixture fixture) : IClassFixture<DefaultFanoutFixture>
{
    [Fact]
    public async Task PlaceOrders_HundredValidOrders_EveryServiceActsExactlyOnceAndQueuesDrain()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        await fanout.Stock.SetAsync("WIDGET-1", 1000, ct);
        await fanout.Stock.SetAsync("GADGET-2", 1000, ct);

        var orderIds = new List<string>();
        var withPhone = new HashSet<string>();
        for (var i = 0; i < 100; i++)
        {
            var phone = i % 4 == 0 ? null : $"+1415555{i:0000}";
            var id = await Api.PlaceAsync(fanout, Api.OrderJson($"customer-{i}", phone, ("WIDGET-1", 1 + (i % 3)), ("GADGET-2", 2)), ct);
            orderIds.Add(id);
            if (phone is not null)
            {
                withPhone.Add(id);
            }
        }

        foreach (var id in orderIds)
        {
            var view = await Eventually.WaitAsync(() => Api.GetOrderAsync(fanout, id, ct), v => v is { Status: not "PENDING" }, TimeSpan.FromSeconds(120), $"order {id} to finish");
            Assert.Equal("COMPLETED", view!.Status);
            Assert.Equal(withPhone.Contains(id) ? "SENT" : "SKIPPED", view.Services["sms"]);
            Assert.Equal("SENT", view.Services["email"]);
            Assert.Equal("RESERVED", view.Services["inventory"]);
        }

        var sms = await Inspect.ItemsAsync(fanout, FanoutTopology.SmsTable, "SMS#");
        var email = await Inspect.ItemsAsync(fanout, FanoutTopology.EmailTable, "EMAIL#");
        var reservations = await Inspect.ItemsAsync(fanout, FanoutTopology.InventoryTable, DynamoStockLedger.OrderPrefix);
        Assert.Equal(withPhone.Order(), sms.Select(i => i["orderId"].S).Order());
        Assert.Equal(orderIds.Order(), email.Select(i => i["orderId"].S).Order());
        Assert.Equal(orderIds.Order(), reservations.Select(i => i["orderId"].S).Order());
        Assert.All(reservations, r => Assert.Equal(DynamoStockLedger.StatusReserved, r["state"].S));

        var expectedWidgets = Enumerable.Range(0, 100).Sum(i => 1 + (i % 3));
        Assert.Equal(1000 - expectedWidgets, await fanout.Stock.GetAsync("WIDGET-1", ct));
        Assert.Equal(1000 - 200, await fanout.Stock.GetAsync("GADGET-2", ct));

        await Eventually.WaitAsync(() => Inspect.AllQueuesEmptyAsync(fanout), empty => empty, TimeSpan.FromSeconds(30), "every queue and DLQ to be empty");
    }
}

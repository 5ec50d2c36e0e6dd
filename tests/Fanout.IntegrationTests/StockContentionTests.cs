using Fanout.Contracts.Topology;
using Fanout.IntegrationTests.Support;
using Fanout.Inventory;

namespace Fanout.IntegrationTests;

/// <summary>Concurrent orders race for scarce stock: the transaction's condition keeps stock at or above zero.</summary>
[Trait("Category", "Integration")]
public sealed class StockContentionTests(DefaultFanoutFixture fixture) : IClassFixture<DefaultFanoutFixture>
{
    [Fact]
    public async Task Inventory_TwentyConcurrentOrdersForTenUnits_ExactlyTenReservedAndStockNeverNegative()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        await fanout.Stock.SetAsync("SCARCE-1", 10, ct);

        // Watch the stock level for the whole run: it must never be seen below zero.
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var lowest = int.MaxValue;
        var watcher = Task.Run(async () =>
        {
            while (!watching.IsCancellationRequested)
            {
                var level = await fanout.Stock.GetAsync("SCARCE-1", CancellationToken.None) ?? 0;
                lowest = Math.Min(lowest, level);
                await Task.Delay(20, CancellationToken.None);
            }
        }, CancellationToken.None);

        var orderIds = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            Api.PlaceAsync(fanout, Api.OrderJson($"race-{i}", null, ("SCARCE-1", 1)), ct)));

        var views = new List<Fanout.OrderIntake.Core.OrderView>();
        foreach (var id in orderIds)
        {
            views.Add((await Eventually.WaitAsync(() => Api.GetOrderAsync(fanout, id, ct), v => v is { Status: not "PENDING" }, TimeSpan.FromSeconds(120), $"order {id} to finish"))!);
        }

        await watching.CancelAsync();
        await watcher;

        Assert.Equal(10, views.Count(v => v.Services["inventory"] == "RESERVED"));
        Assert.Equal(10, views.Count(v => v.Services["inventory"] == "REJECTED"));
        Assert.Equal(10, views.Count(v => v.Status == "REJECTED"));
        Assert.Equal(0, await fanout.Stock.GetAsync("SCARCE-1", ct));
        Assert.True(lowest >= 0, $"stock was seen at {lowest}");

        var outcomes = await Inspect.ItemsAsync(fanout, FanoutTopology.InventoryTable, DynamoStockLedger.OrderPrefix);
        Assert.Equal(10, outcomes.Count(o => o["state"].S == DynamoStockLedger.StatusReserved));
        Assert.Equal(10, outcomes.Count(o => o["state"].S == DynamoStockLedger.StatusRejected));
    }
}

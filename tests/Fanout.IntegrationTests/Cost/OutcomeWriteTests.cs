using System.Globalization;
using Fanout.Contracts.Topology;
using Fanout.Harness.Metering;
using Fanout.IntegrationTests.Support;

namespace Fanout.IntegrationTests.Cost;

/// <summary>What recording outcomes costs the orders table, measured on the real local system: each of an order's
/// three outcomes is one UpdateItem that passes its condition (none fails and is paid for anyway), and the last one
/// also settles the order, removing it from the open-orders index (one more write unit, AWS's rule for an index
/// entry deleted): 4 write units per completed order.</summary>
[Trait("Category", "Integration")]
public sealed class OutcomeWriteTests : IAsyncLifetime
{
    private const int Orders = 3;
    private MeteredLocalFanout? _system;

    private DynamoDbCapacityMeter Meter => _system!.Meter;

    public async ValueTask InitializeAsync() => _system = await MeteredLocalFanout.StartAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_system is not null)
        {
            await _system.DisposeAsync();
        }
    }

    [Fact]
    public async Task PlaceOrders_OutcomesArriveTogether_OrdersUpdateItemIsFourWriteUnitsPerOrderAndNoneFails()
    {
        var fanout = _system!.Fanout;
        var ct = TestContext.Current.CancellationToken;
        await fanout.Stock.SetAsync("OUTCOME-1", 100, ct);
        var before = Meter.SnapshotByTable();

        var ids = await Task.WhenAll(Enumerable.Range(0, Orders).Select(i =>
            Api.PlaceAsync(fanout, Api.OrderJson("outcome-customer-" + i.ToString(CultureInfo.InvariantCulture), "+14155550100", ("OUTCOME-1", 1)), ct)));
        foreach (var id in ids)
        {
            var view = await Eventually.WaitAsync(() => Api.GetOrderAsync(fanout, id, ct), v => v is { Status: not "PENDING" }, TimeSpan.FromSeconds(60), $"order {id} to finish");
            Assert.Equal("COMPLETED", view!.Status);
            Assert.NotNull(view.CompletedAt);
        }

        await _system.SettleAsync(ct);

        var after = Meter.SnapshotByTable();
        var key = (FanoutTopology.OrdersTable.LocalName, "UpdateItem");
        var updates = before.TryGetValue(key, out var earlier) ? after[key].Since(earlier) : after[key];
        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{key.LocalName} UpdateItem for {Orders} orders: WCU {updates.WriteUnits:0.#}, writes {updates.WriteRequests}"));
        Assert.Equal(3 * Orders, updates.WriteRequests);
        Assert.Equal(4 * Orders, updates.WriteUnits);
    }
}

using System.Globalization;
using Fanout.Contracts.Topology;
using Fanout.Harness;
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
    private readonly DynamoDbCapacityMeter _meter = DynamoDbCapacityMeter.Attach();
    private LocalFanout? _fanout;

    public async ValueTask InitializeAsync() =>
        _fanout = await LocalFanout.StartAsync(
            new LocalFanoutOptions { SignIn = false, VisibilityTimeoutSeconds = 3, FunctionTimeout = TimeSpan.FromSeconds(10) },
            TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_fanout is not null)
        {
            await _fanout.DisposeAsync();
        }

        _meter.Dispose();
    }

    [Fact]
    public async Task PlaceOrders_OutcomesArriveTogether_OrdersUpdateItemIsFourWriteUnitsPerOrderAndNoneFails()
    {
        var fanout = _fanout!;
        var ct = TestContext.Current.CancellationToken;
        await fanout.Stock.SetAsync("OUTCOME-1", 100, ct);
        var before = _meter.SnapshotByTable();

        var ids = await Task.WhenAll(Enumerable.Range(0, Orders).Select(i =>
            Api.PlaceAsync(fanout, Api.OrderJson("outcome-customer-" + i.ToString(CultureInfo.InvariantCulture), "+14155550100", ("OUTCOME-1", 1)), ct)));
        foreach (var id in ids)
        {
            var view = await Eventually.WaitAsync(() => Api.GetOrderAsync(fanout, id, ct), v => v is { Status: not "PENDING" }, TimeSpan.FromSeconds(60), $"order {id} to finish");
            Assert.Equal("COMPLETED", view!.Status);
            Assert.NotNull(view.CompletedAt);
        }

        await Eventually.WaitAsync(
            async () =>
            {
                var first = _meter.Snapshot().WriteRequests;
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
                return (Empty: await Inspect.AllQueuesEmptyAsync(fanout), Still: first == _meter.Snapshot().WriteRequests);
            },
            s => s is { Empty: true, Still: true },
            TimeSpan.FromSeconds(30),
            "the system to settle");

        var after = _meter.SnapshotByTable();
        var key = (FanoutTopology.OrdersTable.LocalName, "UpdateItem");
        var updates = before.TryGetValue(key, out var earlier) ? after[key].Since(earlier) : after[key];
        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{key.LocalName} UpdateItem for {Orders} orders: WCU {updates.WriteUnits:0.#}, writes {updates.WriteRequests}"));
        Assert.Equal(3 * Orders, updates.WriteRequests);
        Assert.Equal(4 * Orders, updates.WriteUnits);
    }
}

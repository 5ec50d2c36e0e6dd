using System.Text;
using System.Text.Json;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.Harness;
using Fanout.IntegrationTests.Support;

namespace Fanout.IntegrationTests.Outbox;

/// <summary>No relay, so an order whose intake crashed after its write stays <c>PENDING</c> with its outbox entry: only the
/// reconciler can move it. Its threshold is one second.</summary>
public sealed class ReconcilerFixture : OutboxFixture
{
    protected override LocalFanoutOptions Options => base.Options with
    {
        OutboxRelay = false,
        StuckOrderThreshold = TimeSpan.FromSeconds(1),
    };
}

[Trait("Category", "Integration")]
public sealed class ReconcilerTests(ReconcilerFixture fixture) : IClassFixture<ReconcilerFixture>
{
    [Fact]
    public async Task Reconciler_StuckOrder_RepublishesItsPendingFactAndReportsStuckOrders()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        await fanout.Stock.SetAsync("STUCK-1", 5, ct);
        fixture.IntakeCrash.Arm();
        await Assert.ThrowsAsync<IntakeCrashedException>(() => fanout.InvokeApiAsync(
            Api.Post(Api.OrderJson("stuck-1", "+14155550103", ("STUCK-1", 1)), headers: OutboxTestData.Key("stuck-key-1")), ct));
        var placed = Assert.Single(fixture.IntakeCrash.CrashedEvents);
        var orderId = OutboxTestData.OrderIdOf(placed);
        Assert.Equal("PENDING", (await Api.GetOrderAsync(fanout, orderId, ct))!.Status);

        // Run the reconciler until the order is old enough to count as stuck (threshold 1 s).
        var summary = await Eventually.WaitAsync(
            async () => Encoding.UTF8.GetString(await fanout.Reconciler.InvokeNowAsync(ct)),
            s => s.Contains("\"stuckOrders\":1", StringComparison.Ordinal),
            TimeSpan.FromSeconds(15),
            "the reconciler to find the stuck order");

        using (var json = JsonDocument.Parse(summary))
        {
            Assert.Equal(1, json.RootElement.GetProperty("dispatchedFromOutbox").GetInt32());
            Assert.Equal(0, json.RootElement.GetProperty("failed").GetInt32());
        }

        var publish = Assert.Single(fixture.Publishes.Of(placed.Id));
        Assert.Equal(FanoutTopology.Reconciler.Name, publish.Function);
        await Eventually.WaitAsync(() => Api.GetOrderAsync(fanout, orderId, ct), v => v is { Status: "COMPLETED" }, TimeSpan.FromSeconds(30), $"order {orderId} to complete");
        Assert.Equal(1, fixture.SmsCalls.For(orderId));
        Assert.Equal(4, await fanout.Stock.GetAsync("STUCK-1", ct));

        // The metric, as CloudWatch would extract it from the function's log.
        var metric = fixture.FunctionLog.ObjectsWith(ReconcilerSpec.StuckOrdersMetric)[^1];
        Assert.Equal(1, metric.GetProperty(ReconcilerSpec.StuckOrdersMetric).GetInt32());
        Assert.Equal("orders", metric.GetProperty("Service").GetString());
        var directive = metric.GetProperty("_aws").GetProperty("CloudWatchMetrics")[0];
        Assert.Equal(ReconcilerSpec.MetricNamespace, directive.GetProperty("Namespace").GetString());
        Assert.Equal("Count", directive.GetProperty("Metrics")[0].GetProperty("Unit").GetString());

        // Completed orders leave the open-orders index: the next run finds nothing.
        var after = Encoding.UTF8.GetString(await fanout.Reconciler.InvokeNowAsync(ct));
        Assert.Contains("\"stuckOrders\":0", after, StringComparison.Ordinal);
        Assert.Equal(0, fixture.FunctionLog.ObjectsWith(ReconcilerSpec.StuckOrdersMetric)[^1].GetProperty(ReconcilerSpec.StuckOrdersMetric).GetInt32());
        Assert.Equal(EventIds.For(orderId, "orders", "PLACED"), placed.Id);
    }
}

using Fanout.Contracts.Topology;
using Fanout.Harness;
using Fanout.IntegrationTests.Support;
using Fanout.Inventory;

namespace Fanout.IntegrationTests;

/// <summary>Consumers crash on 30% of first attempts, after their effect and before their outcome is
/// published: the worst moment. Retries must finish every order without repeating any effect.</summary>
public sealed class FlakyFanoutFixture : FanoutFixture
{
    public Dictionary<string, FlakyPublisher> Flaky { get; } = [];

    protected override LocalFanoutOptions Options => base.Options with
    {
        DecoratePublisher = (function, inner) =>
        {
            if (function == FanoutTopology.OrderIntake.Name)
            {
                return inner;
            }

            var flaky = new FlakyPublisher(inner, 0.3);
            lock (Flaky)
            {
                Flaky[function] = flaky;
            }

            return flaky;
        },
    };
}

[Trait("Category", "Integration")]
public sealed class FailureInjectionTests(FlakyFanoutFixture fixture) : IClassFixture<FlakyFanoutFixture>
{
    [Fact]
    public async Task Consumers_ThrowOnThirtyPercentOfFirstAttempts_EveryOrderCompletesWithoutDuplicates()
    {
        var fanout = fixture.Fanout;
        var ct = TestContext.Current.CancellationToken;
        await fanout.Stock.SetAsync("FLAKY-1", 1000, ct);

        var orderIds = new List<string>();
        for (var i = 0; i < 50; i++)
        {
            orderIds.Add(await Api.PlaceAsync(fanout, Api.OrderJson($"flaky-{i}", "+14155550111", ("FLAKY-1", 3)), ct));
        }

        foreach (var id in orderIds)
        {
            var view = await Eventually.WaitAsync(() => Api.GetOrderAsync(fanout, id, ct), v => v is { Status: not "PENDING" }, TimeSpan.FromSeconds(180), $"order {id} to finish");
            Assert.Equal("COMPLETED", view!.Status);
            Assert.Equal("SENT", view.Services["sms"]);
        }

        // The switch really fired, for every consumer, at roughly the chosen rate.
        foreach (var name in new[] { "Sms", "Email", "Inventory" })
        {
            var injected = fixture.Flaky[name].InjectedFailures;
            Assert.InRange(injected, 5, 30);
        }

        // Each retry after an injected crash re-published the recorded outcome; none called the provider again.
        Assert.All(orderIds, id => Assert.Equal(1, fixture.SmsCalls.For(id)));
        Assert.All(orderIds, id => Assert.Equal(1, fixture.EmailCalls.For(id)));
        Assert.Equal(2 * orderIds.Count, fixture.SmsCalls.Total + fixture.EmailCalls.Total);
        Assert.Equal(orderIds.Order(), (await Inspect.ItemsAsync(fanout, FanoutTopology.InventoryTable, DynamoStockLedger.OrderPrefix)).Select(i => i["orderId"].S).Order());
        Assert.Equal(1000 - (50 * 3), await fanout.Stock.GetAsync("FLAKY-1", ct));
        await Eventually.WaitAsync(() => Inspect.AllQueuesEmptyAsync(fanout), empty => empty, TimeSpan.FromSeconds(60), "every queue and DLQ to be empty");
    }
}

using Fanout.Cli.Api;
using Fanout.Cli.Load;
using Fanout.Cli.SignIn;
using Fanout.Cli.Trace;
using Fanout.Cli.Watch;

namespace Fanout.Cli.Tests.Integration;

/// <summary><c>fanout trace</c>, <c>watch</c>'s rates and <c>load</c>'s server-side latency against the real local
/// system: orders placed through the signed-in API, read back from the functions' own log lines and GET answers.</summary>
[Trait("Category", "Integration")]
public sealed class OrderJourneyIntegrationTests(SignedInLocalFanoutFixture fixture) : IClassFixture<SignedInLocalFanoutFixture>, IDisposable
{
    private static readonly TimeSpan _deadline = TimeSpan.FromSeconds(30);
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public void Dispose() => _http.Dispose();

    private OrderApiClient Api() => new(_http, fixture.ApiUrl, new GivenAccessToken(fixture.Token, "demo customer"));

    private async Task<string> PlaceCompletedOrderAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        var api = Api();
        var order = new OrderGenerator([SignedInLocalFanoutFixture.Sku], new Random(1), "trace").Next(0);
        var placed = await api.PlaceAsync(order, idempotencyKey: null, ct);
        Assert.True(placed.Accepted, "POST /orders answered " + placed.Status);
        var started = TimeProvider.System.GetTimestamp();
        while (TimeProvider.System.GetElapsedTime(started) < _deadline)
        {
            if ((await api.GetAsync(placed.OrderId!, ct)).Order is { Status: "COMPLETED" })
            {
                return placed.OrderId!;
            }

            await Task.Delay(50, ct);
        }

        throw new TimeoutException($"Order {placed.OrderId} did not complete within {_deadline}.");
    }

    // The log lines of the last outcome may land a moment after GET shows COMPLETED: poll the file for the hop.
    private async Task<IReadOnlyList<TraceHop>> TraceWhenCompleteAsync(string orderId)
    {
        var started = TimeProvider.System.GetTimestamp();
        IReadOnlyList<TraceHop> hops = [];
        while (TimeProvider.System.GetElapsedTime(started) < _deadline)
        {
            hops = OrderTrace.Build([.. LocalFunctionLog.Read(fixture.FunctionLogPath)], orderId);
            if (hops.Any(h => h.Hop == HopKinds.Completed))
            {
                return hops;
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        return hops;
    }

    [Fact]
    public async Task Build_RealOrder_ShowsIntakeThreeConsumersAndCompletionInTimeOrder()
    {
        var orderId = await PlaceCompletedOrderAsync();

        var hops = await TraceWhenCompleteAsync(orderId);

        // Intake's service name is "orders" on AWS (FunctionSpec.Service); the harness names it after the assembly.
        var intake = Assert.Single(hops, h => h.Hop == HopKinds.Accepted).Service;
        Assert.Equal(intake, hops[0].Service);
        Assert.Contains(hops, h => h.Service == intake && h.Hop == HopKinds.Published && h.EventType == "OrderPlaced");
        foreach (var service in new[] { "inventory", "sms", "email" })
        {
            var consumed = Assert.Single(hops, h => h.Service == service && h.Hop == HopKinds.Consumed && h.EventType == "OrderPlaced");
            Assert.Equal("handled", consumed.Outcome);
            Assert.NotNull(consumed.QueueWaitMs);
            Assert.NotNull(consumed.ProcessingMs);
            Assert.Contains(hops, h => h.Hop == HopKinds.Applied && h.ForService == service);
        }

        Assert.Equal(3, hops.Count(h => h.Service == "orderstatus" && h.Hop == HopKinds.Consumed));
        var completed = Assert.Single(hops, h => h.Hop == HopKinds.Completed);
        Assert.True(hops.Zip(hops.Skip(1)).All(p => p.First.At <= p.Second.At), "hops out of time order");
        Assert.All(hops.Where(h => h.Hop != HopKinds.Log && h.At <= completed.At), h => Assert.True(h.At >= hops[0].At));
        Assert.Single(hops.Select(h => h.TraceId).Distinct());
        Assert.NotNull(hops[0].TraceId);
    }

    [Fact]
    public async Task Snapshot_RealOrders_GivesEachConsumerARate()
    {
        var orderId = await PlaceCompletedOrderAsync();
        await TraceWhenCompleteAsync(orderId);
        var activity = new ServiceActivity(TimeSpan.FromMinutes(5), TimeProvider.System);

        activity.Add(new FunctionLogTail(fixture.FunctionLogPath).ReadNew());
        var rates = activity.Snapshot();

        Assert.Equal(["email", "inventory", "orderstatus", "sms"], rates.Select(r => r.Service));
        Assert.All(rates, r =>
        {
            Assert.True(r.Records > 0);
            Assert.NotNull(r.QueueWaitP99Ms);
            Assert.NotNull(r.ProcessingP99Ms);
        });
    }

    [Fact]
    public async Task RunAsync_RealSystem_ReportsServerSideFanoutNotPollTiming()
    {
        // The first poll comes only after 2 s: a latency measured by polling could not be below it.
        var options = new LoadOptions { Orders = 3, RatePerSecond = 20, Concurrency = 3, FirstPollDelay = TimeSpan.FromSeconds(2), MaxPollInterval = TimeSpan.FromSeconds(2), FanoutTimeout = _deadline };
        var runner = new LoadRunner(Api(), TimeProvider.System);
        var generator = new OrderGenerator([SignedInLocalFanoutFixture.Sku], new Random(2), "load");

        var summary = LoadSummary.From(await runner.RunAsync(options, generator.Next, null, TestContext.Current.CancellationToken), options);

        Assert.Equal(3, summary.Completed);
        Assert.NotNull(summary.FanoutLatency);
        Assert.Equal(3, summary.FanoutLatency.Count);
        Assert.InRange(summary.FanoutLatency.MaxMs, 0.001, 1999);
        Assert.Equal(["email", "inventory", "sms"], summary.ServiceLatency.Keys);
        Assert.All(summary.ServiceLatency.Values, s => Assert.True(s.MaxMs <= summary.FanoutLatency.MaxMs));
    }
}

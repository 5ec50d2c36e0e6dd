using Fanout.Harness;
using Fanout.Harness.Emulators;
using Fanout.IntegrationTests.Support;

namespace Fanout.IntegrationTests;

/// <summary>The same flow on LocalStack (pinned image, via Testcontainers) where a Docker engine exists.
/// Machines without one skip this with the reason; the embedded emulators cover the rest.</summary>
[Trait("Category", "Integration")]
public sealed class LocalStackTests
{
    [Fact]
    public async Task PlaceOrder_OnLocalStack_CompletesEveryService()
    {
        var ct = TestContext.Current.CancellationToken;
        var (available, reason) = await DockerEngine.ProbeAsync(ct);
        Assert.SkipUnless(available, $"LocalStack needs Docker: {reason}. The embedded emulators (fauxqs + DynamoDB Local) cover these scenarios.");

        await using var fanout = await LocalFanout.StartAsync(new LocalFanoutOptions { Emulators = EmulatorChoice.LocalStack, VisibilityTimeoutSeconds = 5 }, ct);
        await fanout.Stock.SetAsync("LOCALSTACK-1", 5, ct);
        var id = await Api.PlaceAsync(fanout, Api.OrderJson("localstack", "+14155550123", ("LOCALSTACK-1", 2)), ct);

        var view = await Eventually.WaitAsync(() => Api.GetOrderAsync(fanout, id, ct), v => v is { Status: not "PENDING" }, TimeSpan.FromSeconds(120), "the order to finish on LocalStack");
        Assert.Equal("COMPLETED", view!.Status);
        Assert.Equal(3, await fanout.Stock.GetAsync("LOCALSTACK-1", ct));
    }
}

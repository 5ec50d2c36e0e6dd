using Fanout.Harness;
using Fanout.Harness.Metering;

namespace Fanout.IntegrationTests.Support;

/// <summary>The local system with the DynamoDB capacity meter attached before any client is built (the SDK customizes a
/// client's pipeline when it is created), for tests that measure write units by AWS's rules.</summary>
internal sealed class MeteredLocalFanout : IAsyncDisposable
{
    private MeteredLocalFanout(DynamoDbCapacityMeter meter, LocalFanout fanout)
    {
        Meter = meter;
        Fanout = fanout;
    }

    public DynamoDbCapacityMeter Meter { get; }

    public LocalFanout Fanout { get; }

    public static async Task<MeteredLocalFanout> StartAsync(CancellationToken cancellationToken)
    {
        var meter = DynamoDbCapacityMeter.Attach();
        try
        {
            var fanout = await LocalFanout.StartAsync(
                new LocalFanoutOptions { SignIn = false, VisibilityTimeoutSeconds = 3, FunctionTimeout = TimeSpan.FromSeconds(10) },
                cancellationToken);
            return new MeteredLocalFanout(meter, fanout);
        }
        catch
        {
            meter.Dispose();
            throw;
        }
    }

    /// <summary>Waits until every queue is empty and no write was metered for a whole second (polled, not slept on).</summary>
    public Task SettleAsync(CancellationToken cancellationToken) =>
        Eventually.WaitAsync(
            async () =>
            {
                var first = Meter.Snapshot().WriteRequests;
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                return (Empty: await Inspect.AllQueuesEmptyAsync(Fanout), Still: first == Meter.Snapshot().WriteRequests);
            },
            s => s is { Empty: true, Still: true },
            TimeSpan.FromSeconds(30),
            "the system to settle");

    /// <summary>What each (table, operation) used between two <see cref="DynamoDbCapacityMeter.SnapshotByTable"/>
    /// snapshots; pairs with no request in the window are left out.</summary>
    public static Dictionary<(string Table, string Operation), DynamoDbUsage> Window(
        IReadOnlyDictionary<(string Table, string Operation), DynamoDbUsage> before,
        IReadOnlyDictionary<(string Table, string Operation), DynamoDbUsage> after) =>
        after.ToDictionary(kv => kv.Key, kv => before.TryGetValue(kv.Key, out var earlier) ? kv.Value.Since(earlier) : kv.Value)
            .Where(kv => kv.Value.WriteRequests > 0 || kv.Value.ReadRequests > 0)
            .ToDictionary(kv => kv.Key, kv => kv.Value);

    public async ValueTask DisposeAsync()
    {
        await Fanout.DisposeAsync();
        Meter.Dispose();
    }
}

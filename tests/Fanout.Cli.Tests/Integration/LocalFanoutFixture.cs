using Fanout.Harness;

namespace Fanout.Cli.Tests.Integration;

/// <summary>The real local system (fauxqs + DynamoDB Local, provisioned topology, consumers running) for one test
/// class. A two-second visibility timeout makes poison messages reach their DLQ within seconds.</summary>
public sealed class LocalFanoutFixture : IAsyncLifetime
{
    private LocalFanout? _fanout;

    public LocalFanout Fanout => _fanout ?? throw new InvalidOperationException("The fixture has not started.");

    public async ValueTask InitializeAsync()
    {
        _fanout = await LocalFanout.StartAsync(new LocalFanoutOptions { VisibilityTimeoutSeconds = 2 }, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_fanout is not null)
        {
            await _fanout.DisposeAsync();
        }
    }
}

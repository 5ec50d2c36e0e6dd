using Fanout.Harness;

namespace Fanout.IntegrationTests.Support;

/// <summary>Starts a fresh local Fanout (emulators + topology + consumers) for one test class.</summary>
public abstract class FanoutFixture : IAsyncLifetime
{
    private LocalFanout? _fanout;

    public LocalFanout Fanout => _fanout ?? throw new InvalidOperationException("The fixture has not started.");

    protected virtual LocalFanoutOptions Options => new() { VisibilityTimeoutSeconds = 3, FunctionTimeout = TimeSpan.FromSeconds(10) };

    public async ValueTask InitializeAsync()
    {
        _fanout = await LocalFanout.StartAsync(Options, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_fanout is not null)
        {
            await _fanout.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}

public sealed class DefaultFanoutFixture : FanoutFixture;

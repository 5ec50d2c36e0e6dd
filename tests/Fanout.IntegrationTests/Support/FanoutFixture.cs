using Fanout.Harness;

namespace Fanout.IntegrationTests.Support;

/// <summary>Starts a fresh local Fanout (emulators + topology + consumers) for one test class. Every provider
/// call of the SMS and e-mail consumers is counted (<see cref="SmsCalls"/>, <see cref="EmailCalls"/>): the number
/// a duplicate SMS or e-mail shows in.</summary>
public abstract class FanoutFixture : IAsyncLifetime
{
    private LocalFanout? _fanout;

    public LocalFanout Fanout => _fanout ?? throw new InvalidOperationException("The fixture has not started.");

    public SenderCalls SmsCalls { get; } = new();

    public SenderCalls EmailCalls { get; } = new();

    protected virtual LocalFanoutOptions Options => new()
    {
        // These tests call the handler directly: no sign-in emulator needed (see Auth/SignedInFixture).
        SignIn = false,
        VisibilityTimeoutSeconds = 3,
        FunctionTimeout = TimeSpan.FromSeconds(10),
        DecorateSmsSender = SmsCalls.Wrap,
        DecorateEmailSender = EmailCalls.Wrap,
    };

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

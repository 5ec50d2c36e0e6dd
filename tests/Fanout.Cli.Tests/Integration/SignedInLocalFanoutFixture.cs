using Fanout.Harness;
using Fanout.Harness.Http;

namespace Fanout.Cli.Tests.Integration;

/// <summary>The real local system as <c>fanout up</c> runs it, for one test class: emulators, topology, consumers,
/// cognito-local, the API server with its JWT authorizer, stock for the demo SKU, and every function's output in a
/// log file, as <c>.local/functions.log</c> (<see cref="FunctionLogPath"/>).</summary>
public sealed class SignedInLocalFanoutFixture : IAsyncLifetime
{
    public const string Sku = "MUG-WHITE";

    private StreamWriter? _logFile;
    private LocalFanout? _fanout;
    private LocalApiServer? _api;

    public string FunctionLogPath { get; } = Path.Combine(Path.GetTempPath(), "fanout-functions-" + Guid.NewGuid().ToString("N") + ".log");

    public LocalFanout Fanout => _fanout ?? throw new InvalidOperationException("The fixture has not started.");

    public Uri ApiUrl => (_api ?? throw new InvalidOperationException("The fixture has not started.")).Url;

    /// <summary>The demo customer's access token.</summary>
    public string Token { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _logFile = new StreamWriter(FunctionLogPath, append: false) { AutoFlush = true };
        _fanout = await LocalFanout.StartAsync(new LocalFanoutOptions { SignIn = true, VisibilityTimeoutSeconds = 3, FunctionLog = TextWriter.Synchronized(_logFile) }, ct);
        var identity = _fanout.Identity ?? throw new InvalidOperationException("Sign-in did not start.");
        await _fanout.Stock.SetAsync(Sku, 100_000, ct);
        _api = await LocalApiServer.StartAsync(_fanout.OrderApi, new LocalApiOptions { Authorizer = identity.CreateAuthorizer(TimeProvider.System) }, ct);
        Token = await identity.SignInAsync(identity.Customer, ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }

        if (_fanout is not null)
        {
            await _fanout.DisposeAsync();
        }

        if (_logFile is not null)
        {
            await _logFile.DisposeAsync();
        }

        File.Delete(FunctionLogPath);
    }
}

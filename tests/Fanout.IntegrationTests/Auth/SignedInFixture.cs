using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Fanout.AwsShims.Events;
using Fanout.AwsShims.Json;
using Fanout.AwsShims.Runtime;
using Fanout.Contracts.Topology;
using Fanout.Harness;
using Fanout.Harness.Http;
using Fanout.Harness.Identity;

namespace Fanout.IntegrationTests.Auth;

/// <summary>The signed-in system over HTTP, for one test class: the emulators, the topology and the consumers, plus
/// cognito-local with the shop's pool, and the local API server with its JWT authorizer in front of the real
/// OrderIntake handler. Every event the handler receives is recorded (<see cref="Invocations"/>), and every function
/// log line and harness diagnostic is kept (<see cref="FunctionLog"/>, <see cref="HarnessLog"/>) for scans.</summary>
public class SignedInFixture : IAsyncLifetime
{
    private readonly StringWriter _log = new();
    private readonly StringWriter _harnessLog = new();
    private LocalFanout? _fanout;
    private LocalApiServer? _api;

    public LocalFanout Fanout => _fanout ?? throw new InvalidOperationException("The fixture has not started.");

    public LocalUserPool Identity => Fanout.Identity ?? throw new InvalidOperationException("Sign-in is off.");

    /// <summary>The API server on the real clock with the stack's routes.</summary>
    public LocalApiServer Api => _api ?? throw new InvalidOperationException("The fixture has not started.");

    /// <summary>The payload-2.0 events OrderIntake received through any server this fixture started.</summary>
    public ConcurrentQueue<HttpApiRequest> Invocations { get; } = new();

    /// <summary>Every line the functions logged so far.</summary>
    public string FunctionLog
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Every harness diagnostic so far (poll errors, failed invocations), one per line.</summary>
    public string HarnessLog
    {
        get
        {
            lock (_harnessLog)
            {
                return _harnessLog.ToString();
            }
        }
    }

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    protected virtual LocalFanoutOptions Options => new()
    {
        SignIn = true,
        VisibilityTimeoutSeconds = 3,
        FunctionTimeout = TimeSpan.FromSeconds(10),
        FunctionLog = new LockedWriter(_log),
        HarnessLog = line =>
        {
            lock (_harnessLog)
            {
                _harnessLog.WriteLine(line);
            }
        },
    };

    public virtual async ValueTask InitializeAsync()
    {
        _fanout = await LocalFanout.StartAsync(Options, TestContext.Current.CancellationToken);
        _api = await StartApiAsync(TimeProvider.System);
    }

    /// <summary>Another API server in front of the same handler, e.g. with a clock the test controls or routes that
    /// need scopes. The caller disposes it.</summary>
    public Task<LocalApiServer> StartApiAsync(TimeProvider clock, IReadOnlyList<ApiRoute>? routes = null) =>
        LocalApiServer.StartAsync(
            new RecordingHandler(Fanout.OrderApi, Invocations),
            new LocalApiOptions { Authorizer = Identity.CreateAuthorizer(clock), Routes = routes ?? OrderApiTopology.Routes, Time = clock },
            TestContext.Current.CancellationToken);

    /// <summary>Signs <paramref name="user"/> in on cognito-local and returns the access token.</summary>
    public Task<string> TokenAsync(LocalCredentials user, string? clientId = null) =>
        Identity.SignInAsync(user, TestContext.Current.CancellationToken, clientId);

    /// <summary>Sends a request to <paramref name="server"/> (default <see cref="Api"/>), with
    /// <c>Authorization</c> set to <paramref name="authorization"/> exactly as given when not null.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? authorization, string? json = null, LocalApiServer? server = null, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(method, new Uri((server ?? Api).Url, path.TrimStart('/')));
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        return await Http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }

        if (_fanout is not null)
        {
            await _fanout.DisposeAsync();
        }

        Http.Dispose();
        await _log.DisposeAsync();
        await _harnessLog.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Records each event, then invokes the real handler.</summary>
    private sealed class RecordingHandler(ILambdaHandler inner, ConcurrentQueue<HttpApiRequest> invocations) : ILambdaHandler
    {
        public Task<byte[]> InvokeAsync(ReadOnlyMemory<byte> payload, LambdaInvocation invocation, CancellationToken cancellationToken)
        {
            invocations.Enqueue(JsonSerializer.Deserialize(payload.Span, AwsShimsJsonContext.Default.HttpApiRequest)!);
            return inner.InvokeAsync(payload, invocation, cancellationToken);
        }
    }

    /// <summary>Appends whole writes under the lock <see cref="FunctionLog"/> reads with.</summary>
    private sealed class LockedWriter(StringWriter inner) : TextWriter
    {
        public override Encoding Encoding => inner.Encoding;

        public override void Write(char value)
        {
            lock (inner)
            {
                inner.Write(value);
            }
        }

        public override void Write(string? value)
        {
            lock (inner)
            {
                inner.Write(value);
            }
        }

        public override void WriteLine(string? value)
        {
            lock (inner)
            {
                inner.WriteLine(value);
            }
        }
    }
}

/// <summary>A clock a fixed distance from the real one: tokens from cognito-local (which signs on the real clock) look
/// expired or not yet issued to an authorizer on it, with no waiting.</summary>
public sealed class ShiftedClock(TimeSpan offset) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
}

using System.Collections.Specialized;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace Fanout.UnitTests.AwsShims.Runtime;

/// <summary>A loopback stand-in for the Lambda Runtime API. Every request is queued for the test, which
/// asserts on it and answers it explicitly, so the server handles exactly the requests a test expects.</summary>
internal sealed class FakeRuntimeApi : IAsyncDisposable
{
    private static readonly TimeSpan _receiveTimeout = TimeSpan.FromSeconds(10);
    private readonly HttpListener _listener;
    private readonly Channel<RuntimeApiRequest> _requests = Channel.CreateUnbounded<RuntimeApiRequest>();
    private readonly Task _acceptLoop;

    private FakeRuntimeApi(HttpListener listener, int port)
    {
        _listener = listener;
        RuntimeApi = $"127.0.0.1:{port}";
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The <c>host:port</c> Lambda would put in <c>AWS_LAMBDA_RUNTIME_API</c>.</summary>
    public string RuntimeApi { get; }

    public static FakeRuntimeApi Start()
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return new FakeRuntimeApi(listener, port);
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                // Another process took the port between probing and binding: try another.
                listener.Close();
            }
        }
    }

    /// <summary>The next request the runtime client sent; fails the test if none arrives in time.</summary>
    public async Task<RuntimeApiRequest> ReceiveAsync()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(_receiveTimeout);
        try
        {
            return await _requests.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The fake Runtime API received no request within {_receiveTimeout.TotalSeconds}s.");
        }
    }

    /// <summary>Requests that arrived but that no test step has taken.</summary>
    public int Unhandled => _requests.Reader.Count;

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _acceptLoop;
        while (_requests.Reader.TryRead(out var leftover))
        {
            leftover.Abort();
        }
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        try
        {
            return ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        finally
        {
            probe.Stop();
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            _requests.Writer.TryWrite(new RuntimeApiRequest(context, body.ToArray()));
        }
    }
}

/// <summary>One request to the fake Runtime API, answered by the test.</summary>
internal sealed class RuntimeApiRequest
{
    private readonly HttpListenerContext _context;

    public RuntimeApiRequest(HttpListenerContext context, byte[] body)
    {
        _context = context;
        Body = body;
        Method = context.Request.HttpMethod;
        Path = context.Request.RawUrl ?? "";
        Headers = new NameValueCollection(context.Request.Headers);
    }

    public string Method { get; }

    /// <summary>The path as sent, still percent-encoded.</summary>
    public string Path { get; }

    public NameValueCollection Headers { get; }

    public byte[] Body { get; }

    public string BodyText => Encoding.UTF8.GetString(Body);

    public void Respond(int status, IReadOnlyDictionary<string, string>? headers = null, byte[]? body = null)
    {
        var response = _context.Response;
        response.StatusCode = status;
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            response.Headers[name] = value;
        }

        body ??= [];
        response.ContentLength64 = body.Length;
        response.OutputStream.Write(body);
        response.Close();
    }

    public void Abort() => _context.Response.Abort();
}

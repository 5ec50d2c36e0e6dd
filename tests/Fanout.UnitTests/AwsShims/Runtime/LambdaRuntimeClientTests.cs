using System.Text.Json;
using Fanout.AwsShims.Runtime;

namespace Fanout.UnitTests.AwsShims.Runtime;

[Trait("Category", "Unit")]
public sealed class LambdaRuntimeClientTests : IAsyncDisposable
{
    private const string RequestId = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";
    private const string FunctionArn = "arn:aws:lambda:us-east-2:123456789012:function:fanout-sms";
    private const string TraceId = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1";
    private readonly FakeRuntimeApi _api = FakeRuntimeApi.Start();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly LambdaRuntimeClient _client;

    public LambdaRuntimeClientTests()
    {
        _client = new LambdaRuntimeClient(_http, _api.RuntimeApi);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        var unhandled = _api.Unhandled;
        await _api.DisposeAsync();
        _http.Dispose();
        Assert.Equal(0, unhandled);
    }

    [Fact]
    public async Task NextAsync_EventWithAllHeaders_ParsesInvocationAndPayload()
    {
        var next = _client.NextAsync(Ct);
        var request = await _api.ReceiveAsync();
        Assert.Equal("GET", request.Method);
        Assert.Equal("/2018-06-01/runtime/invocation/next", request.Path);
        request.Respond(200, NextHeaders(deadlineMs: 1773480443123), "{\"Records\":[]}"u8.ToArray());

        var (invocation, payload) = await next;

        Assert.Equal(RequestId, invocation.AwsRequestId);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1773480443123), invocation.Deadline);
        Assert.Equal(TraceId, invocation.TraceId);
        Assert.Equal(FunctionArn, invocation.InvokedFunctionArn);
        Assert.Equal("{\"Records\":[]}"u8.ToArray(), payload);
    }

    [Fact]
    public async Task NextAsync_NoDeadlineOrTraceHeader_HasNoDeadlineAndNoTrace()
    {
        var next = _client.NextAsync(Ct);
        (await _api.ReceiveAsync()).Respond(200, new Dictionary<string, string> { ["Lambda-Runtime-Aws-Request-Id"] = RequestId }, "{}"u8.ToArray());

        var (invocation, _) = await next;

        Assert.Equal(DateTimeOffset.MaxValue, invocation.Deadline);
        Assert.Null(invocation.TraceId);
        Assert.Null(invocation.InvokedFunctionArn);
    }

    [Fact]
    public async Task NextAsync_NoRequestIdHeader_Throws()
    {
        var next = _client.NextAsync(Ct);
        (await _api.ReceiveAsync()).Respond(200, new Dictionary<string, string> { ["Lambda-Runtime-Deadline-Ms"] = "1773480443123" }, "{}"u8.ToArray());

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => next);
        Assert.Contains("Lambda-Runtime-Aws-Request-Id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NextAsync_RuntimeApiError_Throws()
    {
        var next = _client.NextAsync(Ct);
        (await _api.ReceiveAsync()).Respond(500);

        await Assert.ThrowsAsync<HttpRequestException>(() => next);
    }

    [Fact]
    public async Task SendResponseAsync_Body_PostsItToTheInvocationResponsePath()
    {
        var body = "{\"batchItemFailures\":[]}"u8.ToArray();

        var send = _client.SendResponseAsync(RequestId, body, Ct);
        var request = await _api.ReceiveAsync();
        request.Respond(202);
        await send;

        Assert.Equal("POST", request.Method);
        Assert.Equal($"/2018-06-01/runtime/invocation/{RequestId}/response", request.Path);
        Assert.Equal("application/json", request.Headers["Content-Type"]);
        Assert.Equal(body, request.Body);
    }

    [Fact]
    public async Task SendResponseAsync_RequestIdWithReservedCharacters_StaysOnePathSegment()
    {
        var send = _client.SendResponseAsync("a/b c", "{}"u8.ToArray(), Ct);
        var request = await _api.ReceiveAsync();
        request.Respond(202);
        await send;

        Assert.Equal("/2018-06-01/runtime/invocation/a%2Fb%20c/response", request.Path);
    }

    [Fact]
    public async Task SendResponseAsync_RuntimeApiRejects_Throws()
    {
        var send = _client.SendResponseAsync(RequestId, "{}"u8.ToArray(), Ct);
        (await _api.ReceiveAsync()).Respond(413);

        await Assert.ThrowsAsync<HttpRequestException>(() => send);
    }

    [Fact]
    public async Task SendErrorAsync_Exception_PostsErrorDocumentAndErrorTypeHeader()
    {
        var exception = Thrown(new InvalidOperationException("the handler broke"));

        var send = _client.SendErrorAsync(RequestId, exception, Ct);
        var request = await _api.ReceiveAsync();
        request.Respond(202);
        await send;

        Assert.Equal("POST", request.Method);
        Assert.Equal($"/2018-06-01/runtime/invocation/{RequestId}/error", request.Path);
        Assert.Equal("Unhandled.InvalidOperationException", request.Headers["Lambda-Runtime-Function-Error-Type"]);
        AssertErrorDocument(request, "the handler broke", nameof(InvalidOperationException), expectStackTrace: true);
    }

    [Fact]
    public async Task SendInitErrorAsync_Exception_PostsToTheInitErrorPath()
    {
        var send = _client.SendInitErrorAsync(new ArgumentException("FANOUT_TABLE_NAME is required"), Ct);
        var request = await _api.ReceiveAsync();
        request.Respond(202);
        await send;

        Assert.Equal("POST", request.Method);
        Assert.Equal("/2018-06-01/runtime/init/error", request.Path);
        Assert.Equal("Unhandled.ArgumentException", request.Headers["Lambda-Runtime-Function-Error-Type"]);
        AssertErrorDocument(request, "FANOUT_TABLE_NAME is required", nameof(ArgumentException), expectStackTrace: false);
    }

    internal static Dictionary<string, string> NextHeaders(long deadlineMs, string requestId = RequestId) => new()
    {
        ["Lambda-Runtime-Aws-Request-Id"] = requestId,
        ["Lambda-Runtime-Deadline-Ms"] = deadlineMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Lambda-Runtime-Trace-Id"] = TraceId,
        ["Lambda-Runtime-Invoked-Function-Arn"] = FunctionArn,
    };

    internal static void AssertErrorDocument(RuntimeApiRequest request, string message, string type, bool expectStackTrace)
    {
        Assert.Equal("application/json", request.Headers["Content-Type"]);
        using var document = JsonDocument.Parse(request.Body);
        var root = document.RootElement;
        Assert.Equal(message, root.GetProperty("errorMessage").GetString());
        Assert.Equal(type, root.GetProperty("errorType").GetString());
        var stackTrace = root.GetProperty("stackTrace");
        Assert.Equal(JsonValueKind.Array, stackTrace.ValueKind);
        if (expectStackTrace)
        {
            Assert.NotEqual(0, stackTrace.GetArrayLength());
            Assert.All(stackTrace.EnumerateArray(), line => Assert.StartsWith("at ", line.GetString(), StringComparison.Ordinal));
        }
    }

    private static Exception Thrown(Exception exception)
    {
        try
        {
            throw exception;
        }
        catch (Exception caught) when (ReferenceEquals(caught, exception))
        {
            return caught;
        }
    }
}

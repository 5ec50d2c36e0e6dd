using System.Text;
using System.Text.Json;
using Fanout.AwsShims.Runtime;
using Fanout.UnitTests.TestEvents;
using Microsoft.Extensions.Time.Testing;

namespace Fanout.UnitTests.AwsShims.Runtime;

[Trait("Category", "Unit")]
public sealed class LambdaBootstrapTests : IAsyncDisposable
{
    private static readonly TimeSpan _patience = TimeSpan.FromSeconds(10);
    private readonly FakeRuntimeApi _api = FakeRuntimeApi.Start();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
    private readonly LambdaRuntimeClient _client;
    private readonly StringWriter _errorLog = new();

    public LambdaBootstrapTests()
    {
        _client = new LambdaRuntimeClient(_http, _api.RuntimeApi);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        var unhandled = _api.Unhandled;
        await _api.DisposeAsync();
        _http.Dispose();
        _stop.Dispose();
        _errorLog.Dispose();
        Assert.Equal(0, unhandled);
    }

    [Fact]
    public async Task RunAsync_OneInvocation_PassesTheEventToTheHandlerAndPostsItsResponse()
    {
        var handler = new RecordingHandler(async (payload, _, _) =>
        {
            await Task.Yield();
            return Encoding.UTF8.GetBytes("{\"echo\":" + Encoding.UTF8.GetString(payload.Span) + "}");
        });
        var loop = LambdaBootstrap.RunAsync(_client, () => handler, TimeProvider.System, TimeSpan.FromMilliseconds(100), _stop.Token);

        var deadline = TimeProvider.System.GetUtcNow().AddMinutes(1);
        await RespondWithEvent("req-1", deadline, "{\"n\":1}");
        var response = await _api.ReceiveAsync();
        Assert.Equal("POST", response.Method);
        Assert.Equal("/2018-06-01/runtime/invocation/req-1/response", response.Path);
        Assert.Equal("{\"echo\":{\"n\":1}}", response.BodyText);
        response.Respond(202);
        await StopAtNextPoll(loop);

        var (invocation, traceEnvironment) = Assert.Single(handler.Invocations);
        Assert.Equal("req-1", invocation.AwsRequestId);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(deadline.ToUnixTimeMilliseconds()), invocation.Deadline);
        Assert.Equal(invocation.TraceId, traceEnvironment);
        Assert.NotNull(invocation.TraceId);
    }

    [Fact]
    public async Task RunAsync_RealClock_CancelsTheHandlerTokenBeforeTheDeadline()
    {
        var margin = TimeSpan.FromMilliseconds(300);
        DateTimeOffset? cancelledAt = null;
        var handler = new RecordingHandler(async (_, _, token) =>
        {
            var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (token.Register(() =>
            {
                cancelledAt = TimeProvider.System.GetUtcNow();
                fired.TrySetResult();
            }))
            {
                await fired.Task.WaitAsync(_patience, TestContext.Current.CancellationToken);
            }

            return "{\"stoppedEarly\":true}"u8.ToArray();
        });
        var loop = LambdaBootstrap.RunAsync(_client, () => handler, TimeProvider.System, margin, _stop.Token);

        var deadline = TimeProvider.System.GetUtcNow().AddMilliseconds(600);
        await RespondWithEvent("req-deadline", deadline, "{}");
        var response = await _api.ReceiveAsync();
        Assert.Equal("/2018-06-01/runtime/invocation/req-deadline/response", response.Path);
        Assert.Equal("{\"stoppedEarly\":true}", response.BodyText);
        response.Respond(202);
        await StopAtNextPoll(loop);

        Assert.NotNull(cancelledAt);
        var wholeMsDeadline = DateTimeOffset.FromUnixTimeMilliseconds(deadline.ToUnixTimeMilliseconds());
        Assert.True(cancelledAt < wholeMsDeadline, $"cancelled at {cancelledAt:O}, deadline {wholeMsDeadline:O}");
        Assert.True(cancelledAt >= wholeMsDeadline - margin - TimeSpan.FromMilliseconds(20), $"cancelled too early: {cancelledAt:O}, deadline {wholeMsDeadline:O}");
    }

    [Fact]
    public async Task RunAsync_FakeClock_CancelsTheHandlerTokenExactlyAtDeadlineMinusMargin()
    {
        var time = new FakeTimeProvider(TestClock.Start);
        var invoked = new TaskCompletionSource<CancellationToken>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new RecordingHandler(async (_, _, token) =>
        {
            invoked.TrySetResult(token);
            var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (token.Register(() => fired.TrySetResult()))
            {
                await fired.Task.WaitAsync(_patience, TestContext.Current.CancellationToken);
            }

            return Encoding.UTF8.GetBytes("{\"cancelledAt\":\"" + time.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture) + "\"}");
        });
        var loop = LambdaBootstrap.RunAsync(_client, () => handler, time, TimeSpan.FromMilliseconds(100), _stop.Token);

        await RespondWithEvent("req-fake", TestClock.Start.AddMilliseconds(300), "{}");
        var token = await invoked.Task.WaitAsync(_patience, TestContext.Current.CancellationToken);
        time.Advance(TimeSpan.FromMilliseconds(199));
        Assert.False(token.IsCancellationRequested, "cancelled before deadline - margin");
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(token.IsCancellationRequested, "not cancelled at deadline - margin");

        var response = await _api.ReceiveAsync();
        Assert.Equal("{\"cancelledAt\":\"2026-03-14T09:26:53.2000000+00:00\"}", response.BodyText);
        response.Respond(202);
        await StopAtNextPoll(loop);
    }

    [Fact]
    public async Task RunAsync_DeadlineAlreadyWithinMargin_HandlerStartsCancelled()
    {
        var time = new FakeTimeProvider(TestClock.Start);
        var handler = new RecordingHandler((_, _, token) => Task.FromResult(Encoding.UTF8.GetBytes(token.IsCancellationRequested ? "\"cancelled\"" : "\"running\"")));
        var loop = LambdaBootstrap.RunAsync(_client, () => handler, time, TimeSpan.FromMilliseconds(100), _stop.Token);

        await RespondWithEvent("req-late", TestClock.Start.AddMilliseconds(50), "{}");
        var response = await _api.ReceiveAsync();
        Assert.Equal("\"cancelled\"", response.BodyText);
        response.Respond(202);
        await StopAtNextPoll(loop);
    }

    [Fact]
    public async Task RunAsync_HandlerThrows_PostsTheErrorAndKeepsServing()
    {
        var calls = 0;
        var handler = new RecordingHandler((_, _, _) => Interlocked.Increment(ref calls) == 1
            ? Task.FromException<byte[]>(new InvalidOperationException("first call fails"))
            : Task.FromResult("\"ok\""u8.ToArray()));
        var loop = StartLoop(handler);
        var deadline = TimeProvider.System.GetUtcNow().AddMinutes(1);

        await RespondWithEvent("req-a", deadline, "{}");
        var error = await _api.ReceiveAsync();
        Assert.Equal("POST", error.Method);
        Assert.Equal("/2018-06-01/runtime/invocation/req-a/error", error.Path);
        Assert.Equal("Unhandled.InvalidOperationException", error.Headers["Lambda-Runtime-Function-Error-Type"]);
        LambdaRuntimeClientTests.AssertErrorDocument(error, "first call fails", nameof(InvalidOperationException), expectStackTrace: false);
        error.Respond(202);

        await RespondWithEvent("req-b", deadline, "{}");
        var response = await _api.ReceiveAsync();
        Assert.Equal("/2018-06-01/runtime/invocation/req-b/response", response.Path);
        Assert.Equal("\"ok\"", response.BodyText);
        response.Respond(202);
        await StopAtNextPoll(loop);
        var line = Assert.Single(LogLines());
        Assert.Equal("req-a", line.GetProperty("awsRequestId").GetString());
        Assert.Equal("first call fails", line.GetProperty("errorMessage").GetString());
    }

    [Fact]
    public async Task RunAsync_InitializationFails_PostsInitErrorAndRethrowsWithoutPolling()
    {
        var failure = new InvalidOperationException("FANOUT_TABLE_NAME is required");

        var loop = LambdaBootstrap.RunAsync(_client, () => throw failure, TimeProvider.System, TimeSpan.FromMilliseconds(100), _stop.Token);

        var request = await _api.ReceiveAsync();
        Assert.Equal("POST", request.Method);
        Assert.Equal("/2018-06-01/runtime/init/error", request.Path);
        Assert.Equal("Unhandled.InvalidOperationException", request.Headers["Lambda-Runtime-Function-Error-Type"]);
        LambdaRuntimeClientTests.AssertErrorDocument(request, "FANOUT_TABLE_NAME is required", nameof(InvalidOperationException), expectStackTrace: true);
        request.Respond(202);
        Assert.Same(failure, await Assert.ThrowsAsync<InvalidOperationException>(() => loop.WaitAsync(_patience, TestContext.Current.CancellationToken)));
    }

    [Fact]
    public async Task RunAsync_RuntimeApiRefusesTheResponseWith413_PostsAnErrorForThatRequestAndServesTheNext()
    {
        var handler = new RecordingHandler((_, invocation, _) => Task.FromResult(Encoding.UTF8.GetBytes("\"" + invocation.AwsRequestId + "\"")));
        var loop = StartLoop(handler);
        var deadline = TimeProvider.System.GetUtcNow().AddMinutes(1);

        await RespondWithEvent("req-big", deadline, "{}");
        var refused = await _api.ReceiveAsync();
        Assert.Equal("/2018-06-01/runtime/invocation/req-big/response", refused.Path);
        refused.Respond(413);
        var error = await _api.ReceiveAsync();
        Assert.Equal("POST", error.Method);
        Assert.Equal("/2018-06-01/runtime/invocation/req-big/error", error.Path);
        Assert.Equal("Unhandled.LambdaResponseRejectedException", error.Headers["Lambda-Runtime-Function-Error-Type"]);
        LambdaRuntimeClientTests.AssertErrorDocument(
            error, "The Runtime API refused the 9-byte response (413 RequestEntityTooLarge).", nameof(LambdaResponseRejectedException), expectStackTrace: false);
        error.Respond(202);

        await RespondWithEvent("req-next", deadline, "{}");
        var response = await _api.ReceiveAsync();
        Assert.Equal("/2018-06-01/runtime/invocation/req-next/response", response.Path);
        Assert.Equal("\"req-next\"", response.BodyText);
        response.Respond(202);
        await StopAtNextPoll(loop);

        var line = Assert.Single(LogLines());
        Assert.Equal("req-big", line.GetProperty("awsRequestId").GetString());
        Assert.Equal("Error", line.GetProperty("level").GetString());
        Assert.Equal(nameof(LambdaResponseRejectedException), line.GetProperty("errorType").GetString());
        Assert.Contains("413", line.GetProperty("errorMessage").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_ErrorReportRefused_LogsTheRequestIdAndServesTheNext()
    {
        var calls = 0;
        var handler = new RecordingHandler((_, _, _) => Interlocked.Increment(ref calls) == 1
            ? Task.FromException<byte[]>(new InvalidOperationException("first call fails"))
            : Task.FromResult("\"ok\""u8.ToArray()));
        var loop = StartLoop(handler);
        var deadline = TimeProvider.System.GetUtcNow().AddMinutes(1);

        await RespondWithEvent("req-a", deadline, "{}");
        var error = await _api.ReceiveAsync();
        Assert.Equal("/2018-06-01/runtime/invocation/req-a/error", error.Path);
        error.Respond(500);

        await RespondWithEvent("req-b", deadline, "{}");
        var response = await _api.ReceiveAsync();
        Assert.Equal("/2018-06-01/runtime/invocation/req-b/response", response.Path);
        response.Respond(202);
        await StopAtNextPoll(loop);

        var lines = LogLines();
        Assert.Equal(2, lines.Count);
        Assert.All(lines, line => Assert.Equal("req-a", line.GetProperty("awsRequestId").GetString()));
        Assert.Equal(nameof(InvalidOperationException), lines[0].GetProperty("errorType").GetString());
        Assert.Equal(nameof(HttpRequestException), lines[1].GetProperty("errorType").GetString());
        Assert.Contains("500", lines[1].GetProperty("errorMessage").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_ResponseAndErrorReportBothRefused_KeepsServing()
    {
        var handler = new RecordingHandler((_, _, _) => Task.FromResult("{}"u8.ToArray()));
        var loop = StartLoop(handler);
        var deadline = TimeProvider.System.GetUtcNow().AddMinutes(1);

        await RespondWithEvent("req-a", deadline, "{}");
        (await _api.ReceiveAsync()).Respond(413);
        var error = await _api.ReceiveAsync();
        Assert.Equal("/2018-06-01/runtime/invocation/req-a/error", error.Path);
        error.Respond(400);

        await RespondWithEvent("req-b", deadline, "{}");
        var response = await _api.ReceiveAsync();
        Assert.Equal("/2018-06-01/runtime/invocation/req-b/response", response.Path);
        response.Respond(202);
        await StopAtNextPoll(loop);

        Assert.Equal(2, handler.Invocations.Count);
        Assert.Equal(["req-a", "req-a"], LogLines().Select(l => l.GetProperty("awsRequestId").GetString()));
    }

    [Fact]
    public async Task RunAsync_HandlerReturnsNull_PostsAnErrorAndKeepsServing()
    {
        var calls = 0;
        var handler = new RecordingHandler((_, _, _) => Task.FromResult(Interlocked.Increment(ref calls) == 1 ? null! : "\"ok\""u8.ToArray()));
        var loop = StartLoop(handler);
        var deadline = TimeProvider.System.GetUtcNow().AddMinutes(1);

        await RespondWithEvent("req-null", deadline, "{}");
        var error = await _api.ReceiveAsync();
        Assert.Equal("/2018-06-01/runtime/invocation/req-null/error", error.Path);
        Assert.Equal("Unhandled.LambdaHandlerReturnedNullException", error.Headers["Lambda-Runtime-Function-Error-Type"]);
        LambdaRuntimeClientTests.AssertErrorDocument(
            error, "The handler returned null instead of a response body.", nameof(LambdaHandlerReturnedNullException), expectStackTrace: false);
        error.Respond(202);

        await RespondWithEvent("req-ok", deadline, "{}");
        var response = await _api.ReceiveAsync();
        Assert.Equal("/2018-06-01/runtime/invocation/req-ok/response", response.Path);
        Assert.Equal("\"ok\"", response.BodyText);
        response.Respond(202);
        await StopAtNextPoll(loop);

        var line = Assert.Single(LogLines());
        Assert.Equal("req-null", line.GetProperty("awsRequestId").GetString());
        Assert.Equal(nameof(LambdaHandlerReturnedNullException), line.GetProperty("errorType").GetString());
    }

    [Fact]
    public async Task RunAsync_ResponseAccepted_LogsNothing()
    {
        var loop = StartLoop(new RecordingHandler((_, _, _) => Task.FromResult("{}"u8.ToArray())));

        await RespondWithEvent("req-1", TimeProvider.System.GetUtcNow().AddMinutes(1), "{}");
        (await _api.ReceiveAsync()).Respond(202);
        await StopAtNextPoll(loop);

        Assert.Empty(LogLines());
    }

    private Task StartLoop(ILambdaHandler handler) =>
        LambdaBootstrap.RunAsync(_client, () => handler, TimeProvider.System, TimeSpan.FromMilliseconds(100), _stop.Token, _errorLog);

    private List<JsonElement> LogLines() =>
        [.. _errorLog.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ParseLine)];

    private static JsonElement ParseLine(string line)
    {
        using var document = JsonDocument.Parse(line);
        return document.RootElement.Clone();
    }

    private async Task RespondWithEvent(string requestId, DateTimeOffset deadline, string payload)
    {
        var next = await _api.ReceiveAsync();
        Assert.Equal("GET", next.Method);
        Assert.Equal("/2018-06-01/runtime/invocation/next", next.Path);
        next.Respond(200, LambdaRuntimeClientTests.NextHeaders(deadline.ToUnixTimeMilliseconds(), requestId), Encoding.UTF8.GetBytes(payload));
    }

    /// <summary>Waits for the loop's next long poll, then stops the loop while that poll is pending.</summary>
    private async Task StopAtNextPoll(Task loop)
    {
        var next = await _api.ReceiveAsync();
        Assert.Equal("/2018-06-01/runtime/invocation/next", next.Path);
        await _stop.CancelAsync();
        await loop.WaitAsync(_patience, TestContext.Current.CancellationToken);
        next.Abort();
    }

    private sealed class RecordingHandler(Func<ReadOnlyMemory<byte>, LambdaInvocation, CancellationToken, Task<byte[]>> handle) : ILambdaHandler
    {
        private readonly List<(LambdaInvocation Invocation, string? TraceEnvironment)> _invocations = [];

        public IReadOnlyList<(LambdaInvocation Invocation, string? TraceEnvironment)> Invocations
        {
            get
            {
                lock (_invocations)
                {
                    return [.. _invocations];
                }
            }
        }

        public Task<byte[]> InvokeAsync(ReadOnlyMemory<byte> payload, LambdaInvocation invocation, CancellationToken cancellationToken)
        {
            lock (_invocations)
            {
                _invocations.Add((invocation, Environment.GetEnvironmentVariable("_X_AMZN_TRACE_ID")));
            }

            return handle(payload, invocation, cancellationToken);
        }
    }
}

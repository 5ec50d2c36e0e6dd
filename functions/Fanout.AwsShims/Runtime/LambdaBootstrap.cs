namespace Fanout.AwsShims.Runtime;

/// <summary>The event loop of a custom-runtime function: init once, then next → invoke → respond, forever.</summary>
/// <remarks>Only an init failure or a broken <c>/next</c> ends the loop. Whatever goes wrong with one invocation
/// (the handler throws or returns null, the Runtime API refuses the response or the error report) is reported
/// for that invocation where the Runtime API lets us, logged to stderr with its request id, and the loop
/// polls again: an exiting bootstrap costs a cold start and surfaces as <c>Runtime.ExitError</c>.</remarks>
public static class LambdaBootstrap
{
    /// <summary>How long before Lambda's deadline the handler's token is cancelled, leaving time to
    /// report a clean partial-batch response instead of being frozen mid-write.</summary>
    public static readonly TimeSpan DefaultSafetyMargin = TimeSpan.FromMilliseconds(500);

    /// <summary>The environment variable that holds the invocation's X-Ray trace header (<c>Lambda-Runtime-Trace-Id</c>)
    /// during the invocation, as the official runtimes set it ("Using the Lambda runtime API for custom runtimes").</summary>
    public const string TraceEnvironmentVariable = "_X_AMZN_TRACE_ID";

    /// <summary>Runs the loop against the Runtime API named by <c>AWS_LAMBDA_RUNTIME_API</c>.</summary>
    public static async Task<int> RunAsync(Func<ILambdaHandler> initialize, CancellationToken stopToken = default)
    {
        ArgumentNullException.ThrowIfNull(initialize);
        var runtimeApi = Environment.GetEnvironmentVariable("AWS_LAMBDA_RUNTIME_API");
        if (string.IsNullOrWhiteSpace(runtimeApi))
        {
            await Console.Error.WriteLineAsync("AWS_LAMBDA_RUNTIME_API is not set: this binary is a Lambda bootstrap and runs only inside Lambda (or a Runtime API emulator).");
            return 2;
        }

        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var client = new LambdaRuntimeClient(http, runtimeApi);
        await RunAsync(client, initialize, TimeProvider.System, DefaultSafetyMargin, stopToken, Console.Error);
        return 0;
    }

    /// <summary>The loop itself, with its collaborators passed in so tests can drive it.</summary>
    /// <param name="errorLog">Where per-invocation failures are logged as JSON lines (stderr when null).</param>
    public static async Task RunAsync(
        LambdaRuntimeClient client,
        Func<ILambdaHandler> initialize,
        TimeProvider time,
        TimeSpan safetyMargin,
        CancellationToken stopToken,
        TextWriter? errorLog = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(initialize);
        ArgumentNullException.ThrowIfNull(time);
        var log = new RuntimeFailureLog(errorLog ?? Console.Error, time);

        ILambdaHandler handler;
        try
        {
            handler = initialize();
        }
#pragma warning disable CA1031 // Any init failure must reach Lambda as an init error, whatever its type.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            await client.SendInitErrorAsync(ex, stopToken);
            throw;
        }

        while (!stopToken.IsCancellationRequested)
        {
            LambdaInvocation invocation;
            byte[] payload;
            try
            {
                (invocation, payload) = await client.NextAsync(stopToken);
            }
            catch (OperationCanceledException) when (stopToken.IsCancellationRequested)
            {
                return;
            }

            await InvokeOnceAsync(client, handler, log, invocation, payload, time, safetyMargin, stopToken);
        }
    }

    private static async Task InvokeOnceAsync(
        LambdaRuntimeClient client,
        ILambdaHandler handler,
        RuntimeFailureLog log,
        LambdaInvocation invocation,
        byte[] payload,
        TimeProvider time,
        TimeSpan safetyMargin,
        CancellationToken stopToken)
    {
        // The official runtimes expose the trace header this way; the AWS SDKs read it from here.
        Environment.SetEnvironmentVariable(TraceEnvironmentVariable, invocation.TraceId);

        var budget = invocation.Deadline - time.GetUtcNow() - safetyMargin;
        using var deadline = budget > TimeSpan.Zero && invocation.Deadline != DateTimeOffset.MaxValue
            ? new CancellationTokenSource(budget, time)
            : new CancellationTokenSource();
        if (budget <= TimeSpan.Zero && invocation.Deadline != DateTimeOffset.MaxValue)
        {
            await deadline.CancelAsync();
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, stopToken);
        var requestId = invocation.AwsRequestId;
        byte[]? response;
        try
        {
            response = await handler.InvokeAsync(payload, invocation, linked.Token);
        }
#pragma warning disable CA1031 // An unhandled handler error is reported to Lambda, never allowed to kill the loop.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            log.Write("The handler failed; reporting an invocation error.", requestId, ex);
            await ReportErrorAsync(client, log, requestId, ex, stopToken);
            return;
        }

        if (response is null)
        {
            var failure = new LambdaHandlerReturnedNullException();
            log.Write("The handler returned no response; reporting an invocation error.", requestId, failure);
            await ReportErrorAsync(client, log, requestId, failure, stopToken);
            return;
        }

        try
        {
            await client.SendResponseAsync(requestId, response, stopToken);
        }
        catch (OperationCanceledException) when (stopToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // A refused response (413 for an oversized payload, a dropped connection) fails this invocation only.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            var failure = new LambdaResponseRejectedException((ex as HttpRequestException)?.StatusCode, response.Length, ex);
            log.Write("The Runtime API refused the response; reporting an invocation error.", requestId, failure);
            await ReportErrorAsync(client, log, requestId, failure, stopToken);
        }
    }

    /// <summary>Posts <paramref name="error"/> to <c>/invocation/{id}/error</c>; a refusal is logged, never thrown,
    /// because Lambda then times the invocation out on its own and the next one still deserves a warm runtime.</summary>
    private static async Task ReportErrorAsync(LambdaRuntimeClient client, RuntimeFailureLog log, string requestId, Exception error, CancellationToken stopToken)
    {
        try
        {
            await client.SendErrorAsync(requestId, error, stopToken);
        }
        catch (OperationCanceledException) when (stopToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // Nothing more can be done for this invocation; the loop must go on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            log.Write("The Runtime API refused the invocation error report.", requestId, ex);
        }
    }
}

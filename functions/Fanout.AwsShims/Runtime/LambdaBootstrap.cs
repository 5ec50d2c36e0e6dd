namespace Fanout.AwsShims.Runtime;

/// <summary>The event loop of a custom-runtime function: init once, then next → invoke → respond, forever.</summary>
public static class LambdaBootstrap
{
    /// <summary>How long before Lambda's deadline the handler's token is cancelled, leaving time to
    /// report a clean partial-batch response instead of being frozen mid-write.</summary>
    public static readonly TimeSpan DefaultSafetyMargin = TimeSpan.FromMilliseconds(500);

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
        await RunAsync(client, initialize, TimeProvider.System, DefaultSafetyMargin, stopToken);
        return 0;
    }

    /// <summary>The loop itself, with its collaborators passed in so tests can drive it.</summary>
    public static async Task RunAsync(
        LambdaRuntimeClient client,
        Func<ILambdaHandler> initialize,
        TimeProvider time,
        TimeSpan safetyMargin,
        CancellationToken stopToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(initialize);
        ArgumentNullException.ThrowIfNull(time);

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

            await InvokeOnceAsync(client, handler, invocation, payload, time, safetyMargin, stopToken);
        }
    }

    private static async Task InvokeOnceAsync(
        LambdaRuntimeClient client,
        ILambdaHandler handler,
        LambdaInvocation invocation,
        byte[] payload,
        TimeProvider time,
        TimeSpan safetyMargin,
        CancellationToken stopToken)
    {
        // The official runtimes expose the trace header this way; the AWS SDKs read it from here.
        Environment.SetEnvironmentVariable("_X_AMZN_TRACE_ID", invocation.TraceId);

        var budget = invocation.Deadline - time.GetUtcNow() - safetyMargin;
        using var deadline = budget > TimeSpan.Zero && invocation.Deadline != DateTimeOffset.MaxValue
            ? new CancellationTokenSource(budget, time)
            : new CancellationTokenSource();
        if (budget <= TimeSpan.Zero && invocation.Deadline != DateTimeOffset.MaxValue)
        {
            await deadline.CancelAsync();
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, stopToken);
        byte[] response;
        try
        {
            response = await handler.InvokeAsync(payload, invocation, linked.Token);
        }
#pragma warning disable CA1031 // An unhandled handler error is reported to Lambda, never allowed to kill the loop.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            await client.SendErrorAsync(invocation.AwsRequestId, ex, stopToken);
            return;
        }

        await client.SendResponseAsync(invocation.AwsRequestId, response, stopToken);
    }
}

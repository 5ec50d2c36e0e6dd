using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fanout.Cli.Bench;

/// <summary>A one-event Lambda Runtime API (version 2018-06-01, "AWS Lambda runtime API" in the Lambda developer
/// guide) on 127.0.0.1: the first <c>GET /runtime/invocation/next</c> gets <see cref="Event"/> with the
/// <c>Lambda-Runtime-*</c> headers, later ones wait until the server stops (as Lambda freezes an idle
/// environment); the <c>response</c>, <c>error</c> and <c>init/error</c> posts are recorded. Times are
/// <see cref="Stopwatch"/> timestamps, to subtract from the process start's.</summary>
internal sealed class FakeRuntimeApi : IAsyncDisposable
{
    private const string Prefix = "/2018-06-01/runtime/";
    private readonly WebApplication _app;
    private readonly TaskCompletionSource<long> _initDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<(long At, string Outcome)> _answered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private int _served;

    private readonly DateTimeOffset _deadline;

    private FakeRuntimeApi(WebApplication app, byte[] @event, string functionArn, DateTimeOffset deadline)
    {
        _app = app;
        _deadline = deadline;
        Event = @event;
        FunctionArn = functionArn;
    }

    public byte[] Event { get; }

    public string FunctionArn { get; }

    /// <summary>The <c>host:port</c> for <c>AWS_LAMBDA_RUNTIME_API</c>.</summary>
    public string Address { get; private set; } = "";

    /// <summary>Completes with the timestamp of the first <c>/next</c>: the function's init is done.</summary>
    public Task<long> InitDone => _initDone.Task;

    /// <summary>Completes with the timestamp of the event's answer and <c>response</c>, <c>error</c> or <c>init error</c>.</summary>
    public Task<(long At, string Outcome)> Answered => _answered.Task;

    public static async Task<FakeRuntimeApi> StartAsync(byte[] @event, string functionArn, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.AddServerHeader = false);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var api = new FakeRuntimeApi(app, @event, functionArn, deadline);
        app.Run(api.HandleAsync);
        await app.StartAsync(cancellationToken);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        api.Address = new Uri(bound).Authority;
        return api;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(grace.Token);
        await _app.DisposeAsync();
        _stopping.Dispose();
    }

    /// <summary>What a response said, in brief: <c>HTTP 202</c> for an HTTP API answer, <c>N failed records</c>
    /// for a partial batch response naming failures, else <c>response</c>.</summary>
    internal static string DescribeResponse(byte[] body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return "response";
            }

            if (root.TryGetProperty("statusCode", out var status) && status.TryGetInt32(out var code))
            {
                return "HTTP " + code.ToString(CultureInfo.InvariantCulture);
            }

            if (root.TryGetProperty("batchItemFailures", out var failures) && failures.ValueKind == JsonValueKind.Array && failures.GetArrayLength() > 0)
            {
                return failures.GetArrayLength().ToString(CultureInfo.InvariantCulture) + " failed records";
            }
        }
        catch (JsonException)
        {
            return "response (not JSON)";
        }

        return "response";
    }

    private async Task HandleAsync(HttpContext context)
    {
        var now = Stopwatch.GetTimestamp();
        var path = context.Request.Path.Value ?? "";
        if (!path.StartsWith(Prefix, StringComparison.Ordinal))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var route = path[Prefix.Length..];
        if (route == "invocation/next" && HttpMethods.IsGet(context.Request.Method))
        {
            _initDone.TrySetResult(now);
            if (Interlocked.Exchange(ref _served, 1) == 0)
            {
                var headers = context.Response.Headers;
                headers["Lambda-Runtime-Aws-Request-Id"] = "cold-start-1";
                headers["Lambda-Runtime-Deadline-Ms"] = _deadline.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
                headers["Lambda-Runtime-Invoked-Function-Arn"] = FunctionArn;
                context.Response.ContentType = "application/json";
                await context.Response.Body.WriteAsync(Event, context.RequestAborted);
                return;
            }

            using var waiting = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, context.RequestAborted);
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, waiting.Token);
            }
            catch (OperationCanceledException)
            {
                // The run is over.
            }

            return;
        }

        if (HttpMethods.IsPost(context.Request.Method))
        {
            var outcome = route == "init/error" ? "init error" : route.EndsWith("/error", StringComparison.Ordinal) ? "error" : route.EndsWith("/response", StringComparison.Ordinal) ? "response" : null;
            if (outcome is not null)
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body, context.RequestAborted);
                _answered.TrySetResult((now, outcome == "response" ? DescribeResponse(body.ToArray()) : outcome));
                context.Response.StatusCode = StatusCodes.Status202Accepted;
                return;
            }
        }

        context.Response.StatusCode = StatusCodes.Status404NotFound;
    }
}

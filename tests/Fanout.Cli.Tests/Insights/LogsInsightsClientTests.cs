using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Amazon.Runtime;
using Fanout.AwsShims.Signing;
using Fanout.Cli.Insights;
using Fanout.Cli.Tests.Trace;
using Fanout.Cli.Trace;

namespace Fanout.Cli.Tests.Insights;

/// <summary>The Logs Insights client over real HTTP against a local stand-in that checks each request's SigV4
/// signature (recomputed from what arrived) and answers like CloudWatch Logs' JSON 1.1 API.</summary>
[Trait("Category", "Integration")]
public sealed class LogsInsightsClientTests : IDisposable
{
    private const string OrderId = "0193a1b2-0000-7000-8000-000000000001";
    private const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static readonly BasicAWSCredentials _credentials = new("AKIDEXAMPLE", "not-a-real-secret");

    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Uri _endpoint;
    private readonly HttpClient _http = new();
    private readonly SignedAwsHttpClient _caller;
    private readonly ConcurrentQueue<Received> _requests = new();
    private int _resultPolls;

    public LogsInsightsClientTests()
    {
        var port = FreePort();
        _endpoint = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(_endpoint.ToString());
        _listener.Start();
        _caller = new SignedAwsHttpClient(_http, _credentials, "eu-west-1", "logs", _endpoint, TimeProvider.System);
        _ = Task.Run(ServeAsync);
    }

    /// <summary>How many GetQueryResults answers say Running before Complete.</summary>
    private int RunningPolls { get; init; } = 2;

    private Func<string, (int Status, string Body)>? Answer { get; set; }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
        _http.Dispose();
        _stop.Dispose();
    }

    private sealed record Received(string Target, string Body, bool SignatureValid, string Authorization);

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            using var buffer = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(buffer);
            var bytes = buffer.ToArray();
            var target = context.Request.Headers["X-Amz-Target"] ?? "";
            var authorization = context.Request.Headers["Authorization"] ?? "";
            _requests.Enqueue(new Received(target, Encoding.UTF8.GetString(bytes), SignatureMatches(context.Request, bytes, target, authorization), authorization));
            var (status, body) = Answer?.Invoke(target) ?? Default(target, Encoding.UTF8.GetString(bytes));
            var answer = Encoding.UTF8.GetBytes(body);
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/x-amz-json-1.1";
            if (status >= 400)
            {
                context.Response.Headers["x-amzn-ErrorType"] = JsonDocument.Parse(body).RootElement.GetProperty("__type").GetString();
            }

            await context.Response.OutputStream.WriteAsync(answer);
            context.Response.Close();
        }
    }

    // Recomputes the signature from the request as it arrived: what a server does to authenticate it.
    private bool SignatureMatches(HttpListenerRequest request, byte[] body, string target, string authorization)
    {
        var amzDate = request.Headers["X-Amz-Date"];
        if (amzDate is null || !DateTime.TryParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var signedAt))
        {
            return false;
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["content-type"] = request.ContentType ?? "",
            ["X-Amz-Target"] = target,
        };
        var expected = _caller.Sign(HttpMethod.Post, new Uri(_endpoint, request.RawUrl), headers, body, signedAt);
        return expected.TryGetValue("Authorization", out var value) && value == authorization;
    }

    private (int, string) Default(string target, string body)
    {
        if (target == "Logs_20140328.StartQuery")
        {
            var query = JsonDocument.Parse(body).RootElement.GetProperty("queryString").GetString()!;
            return (200, query.Contains(TraceId, StringComparison.Ordinal) ? """{"queryId":"q-trace"}""" : """{"queryId":"q-order"}""");
        }

        var queryId = JsonDocument.Parse(body).RootElement.GetProperty("queryId").GetString();
        if (Interlocked.Increment(ref _resultPolls) % (RunningPolls + 1) != 0)
        {
            return (200, """{"results":[],"statistics":{"recordsMatched":0.0},"status":"Running"}""");
        }

        var journey = ContractLines.Journey(OrderId, TraceId);
        var lines = queryId == "q-trace" ? journey : journey.Where(l => l.Contains(OrderId, StringComparison.Ordinal));
        var rows = lines.Select(l => new[]
        {
            new Dictionary<string, string> { ["field"] = "@timestamp", ["value"] = "2026-11-29 10:00:00.000" },
            new Dictionary<string, string> { ["field"] = "@message", ["value"] = l },
            new Dictionary<string, string> { ["field"] = "@ptr", ["value"] = "CmAKJwoj" },
        });
        return (200, "{\"results\":" + JsonSerializer.Serialize(rows) + ",\"status\":\"Complete\"}");
    }

    [Fact]
    public async Task QueryAsync_RunningThenComplete_SendsSignedJson11CallsAndReturnsTheRows()
    {
        var client = new LogsInsightsClient(_caller);
        var start = new DateTimeOffset(2026, 11, 29, 9, 0, 0, TimeSpan.Zero);

        var rows = await client.QueryAsync(["/fanout/sms", "/fanout/email"], start, start.AddHours(1), InsightsTraceSource.QueryFor([OrderId]), TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(20), TimeProvider.System, TestContext.Current.CancellationToken);

        Assert.Equal(13, rows.Count);
        Assert.All(rows, r => Assert.Contains(OrderId, r["@message"], StringComparison.Ordinal));
        var requests = _requests.ToList();
        Assert.Equal(["Logs_20140328.StartQuery", "Logs_20140328.GetQueryResults", "Logs_20140328.GetQueryResults", "Logs_20140328.GetQueryResults"], requests.Select(r => r.Target));
        Assert.All(requests, r => Assert.True(r.SignatureValid, "signature of " + r.Target));
        Assert.All(requests, r => Assert.Contains("/eu-west-1/logs/aws4_request", r.Authorization, StringComparison.Ordinal));
        Assert.All(requests, r => Assert.Contains("x-amz-target", r.Authorization, StringComparison.Ordinal));
        using var startQuery = JsonDocument.Parse(requests[0].Body);
        Assert.Equal(["/fanout/sms", "/fanout/email"], startQuery.RootElement.GetProperty("logGroupNames").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(start.ToUnixTimeSeconds(), startQuery.RootElement.GetProperty("startTime").GetInt64());
        Assert.Equal(start.AddHours(1).ToUnixTimeSeconds(), startQuery.RootElement.GetProperty("endTime").GetInt64());
        Assert.Equal(10_000, startQuery.RootElement.GetProperty("limit").GetInt32());
        Assert.Equal($"fields @timestamp, @message | filter @message like \"{OrderId}\" | sort @timestamp asc | limit 10000", startQuery.RootElement.GetProperty("queryString").GetString());
        Assert.Equal("""{"queryId":"q-order"}""", requests[1].Body);
    }

    [Fact]
    public async Task ReadAsync_OrderThenItsTraceIds_FeedsTheHopBuilderIncludingLinesWithoutOrderId()
    {
        var source = new InsightsTraceSource(new LogsInsightsClient(_caller), TimeProvider.System) { PollInterval = TimeSpan.FromMilliseconds(10) };

        var lines = await source.ReadAsync(["/fanout/email"], OrderId, TimeSpan.FromHours(1), TestContext.Current.CancellationToken);
        var hops = OrderTrace.Build(lines, OrderId);

        Assert.Contains(hops, h => h.Service == "email" && h.Hop == HopKinds.Published);
        Assert.Equal(14, lines.Count);
        Assert.Equal(HopKinds.Completed, hops[^1].Hop);
        var startQueries = _requests.Where(r => r.Target.EndsWith("StartQuery", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, startQueries.Count);
        Assert.Contains($"@message like \\u0022{TraceId}\\u0022", startQueries[1].Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartQueryAsync_UnknownLogGroup_ThrowsTheServiceErrorCode()
    {
        Answer = _ => (400, """{"__type":"ResourceNotFoundException","message":"Log group does not exist"}""");
        var client = new LogsInsightsClient(_caller);

        var ex = await Assert.ThrowsAsync<AwsServiceException>(() => client.StartQueryAsync(["/nope"], DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddHours(1), "fields @message", TestContext.Current.CancellationToken));

        Assert.Equal("ResourceNotFoundException", ex.ErrorCode);
        Assert.Contains("Log group does not exist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueryAsync_QueryFails_SaysHowItEnded()
    {
        Answer = target => target.EndsWith("StartQuery", StringComparison.Ordinal) ? (200, """{"queryId":"q-1"}""") : (200, """{"results":[],"status":"Failed"}""");
        var client = new LogsInsightsClient(_caller);

        var ex = await Assert.ThrowsAsync<AwsServiceException>(() => client.QueryAsync(["/g"], DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddHours(1), "fields @message", TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(5), TimeProvider.System, TestContext.Current.CancellationToken));

        Assert.Contains("ended Failed", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueryAsync_NeverCompletes_StopsAtTheDeadline()
    {
        Answer = target => target.EndsWith("StartQuery", StringComparison.Ordinal) ? (200, """{"queryId":"q-1"}""") : (200, """{"results":[],"status":"Running"}""");
        var client = new LogsInsightsClient(_caller);

        await Assert.ThrowsAsync<Polly.Timeout.TimeoutRejectedException>(() => client.QueryAsync(["/g"], DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddHours(1), "fields @message", TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(300), TimeProvider.System, TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("o\"; drop")]
    [InlineData("a b")]
    [InlineData("")]
    public void QueryFor_IdThatNeedsQuoting_IsRefused(string id) =>
        Assert.Throws<FormatException>(() => InsightsTraceSource.QueryFor([id]));

    [Fact]
    public void Parse_DescribeStackResources_KeepsFunctionLogGroupsOnly()
    {
        var xml = System.Xml.Linq.XElement.Parse("""
            <DescribeStackResourcesResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStackResourcesResult><StackResources>
            <member><LogicalResourceId>SmsFunctionLogs1A2B3C</LogicalResourceId><PhysicalResourceId>fanout-SmsFunctionLogs1A2B3C-xyz</PhysicalResourceId><ResourceType>AWS::Logs::LogGroup</ResourceType></member>
            <member><LogicalResourceId>OrderIntakeLogsD4E5</LogicalResourceId><PhysicalResourceId>fanout-OrderIntakeLogsD4E5-abc</PhysicalResourceId><ResourceType>AWS::Logs::LogGroup</ResourceType></member>
            <member><LogicalResourceId>OrderApiAccessLogs99</LogicalResourceId><PhysicalResourceId>fanout-access</PhysicalResourceId><ResourceType>AWS::Logs::LogGroup</ResourceType></member>
            <member><LogicalResourceId>SmsFunction12</LogicalResourceId><PhysicalResourceId>fanout-sms</PhysicalResourceId><ResourceType>AWS::Lambda::Function</ResourceType></member>
            </StackResources></DescribeStackResourcesResult></DescribeStackResourcesResponse>
            """);

        Assert.Equal(["fanout-OrderIntakeLogsD4E5-abc", "fanout-SmsFunctionLogs1A2B3C-xyz"], StackLogGroups.Parse(xml));
    }
}

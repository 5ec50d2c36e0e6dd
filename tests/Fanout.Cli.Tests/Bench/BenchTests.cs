using System.Diagnostics;
using System.Net;
using System.Text;
using Fanout.AwsShims.Runtime;
using Fanout.Cli.Api;
using Fanout.Cli.Bench;
using Fanout.Cli.Commands;
using Fanout.Cli.Tests.TestDoubles;
using Fanout.Contracts.Topology;

namespace Fanout.Cli.Tests.Bench;

/// <summary>The bench's parts at a tiny scale: no timing is asserted, only what each part reads and reports.</summary>
[Trait("Category", "Unit")]
public sealed class BenchTests
{
    private static readonly DateTimeOffset _created = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Accepts every order; GET reports it COMPLETED with <c>completedAt</c> 42 ms after <c>createdAt</c>.</summary>
    private sealed class CompletedAtApi : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri!.AbsolutePath;
            var body = request.Method == HttpMethod.Post
                ? $"{{\"orderId\":\"{Guid.NewGuid()}\",\"status\":\"ACCEPTED\"}}"
                : $"{{\"orderId\":\"{path[(path.LastIndexOf('/') + 1)..]}\",\"status\":\"COMPLETED\",\"createdAt\":\"2026-01-01T00:00:00Z\",\"completedAt\":\"2026-01-01T00:00:00.042Z\",\"customer\":{{\"id\":\"c\",\"email\":\"c@example.com\"}},\"items\":[],\"services\":{{}},\"correlationId\":\"x\"}}";
            return Task.FromResult(new HttpResponseMessage(request.Method == HttpMethod.Post ? HttpStatusCode.Accepted : HttpStatusCode.OK)
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            });
        }
    }

    private static RateStepOptions Tiny => new()
    {
        RatePerSecond = 200,
        Duration = TimeSpan.FromMilliseconds(50),
        DrainTimeout = TimeSpan.FromSeconds(5),
        DrainPollInterval = TimeSpan.FromMilliseconds(5),
    };

    private static async Task<RateStepResult> RunAsync(HttpMessageHandler handler, RateStepOptions options, Func<string, DateTimeOffset?>? logCompletion = null)
    {
        using var http = new HttpClient(handler, disposeHandler: false);
        var generator = new OrderGenerator(["MUG-WHITE", "POSTER-A2"], new Random(3), "bench-test");
        return await new RateStepRunner(new OrderApiClient(http, new Uri("http://api.test/")), TimeProvider.System, logCompletion)
            .RunAsync(options, generator.Next, 100, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task RunAsync_OrdersWithCompletedAt_LatencyIsCompletedAtMinusCreatedAt()
    {
        using var api = new CompletedAtApi();

        var step = await RunAsync(api, Tiny);

        Assert.Equal(10, step.Sent);
        Assert.Equal(10, step.Accepted);
        Assert.Equal(0, step.LeftPending);
        Assert.Equal(0, step.Unmeasured);
        Assert.Equal("completedAt", step.LatencySource);
        Assert.NotNull(step.FanoutLatency);
        Assert.Equal(10, step.FanoutLatency.Count);
        Assert.Equal(42, step.FanoutLatency.P99Ms, 3);
    }

    [Fact]
    public async Task RunAsync_NoCompletedAt_FallsBackToTheLogAndSaysSo()
    {
        using var api = new FakeOrderApi { PendingPolls = 1, ServerTimestamps = false };

        var step = await RunAsync(api, Tiny, _ => _created.AddMilliseconds(250));

        Assert.Equal(10, step.Accepted);
        Assert.Equal("log", step.LatencySource);
        Assert.Equal(250, step.FanoutLatency!.P50Ms, 3);
        Assert.False(step.Holds, "a p99 of 250 ms is over the 100 ms target");
    }

    [Fact]
    public async Task RunAsync_OrdersNeverFinish_CountsThemPendingAndDoesNotHold()
    {
        using var api = new FakeOrderApi { FinalStatus = null };

        var step = await RunAsync(api, Tiny with { DrainTimeout = TimeSpan.FromMilliseconds(50) });

        Assert.Equal(10, step.LeftPending);
        Assert.Null(step.FanoutLatency);
        Assert.False(step.Sustained);
        Assert.False(step.Holds);
    }

    [Fact]
    public async Task RunAsync_RefusedOrders_AreNotAcceptedAndTheStepIsNotSustained()
    {
        using var api = new FakeOrderApi { PostStatus = i => i % 2 == 0 ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.Accepted };

        var step = await RunAsync(api, Tiny, _ => _created);

        Assert.Equal(5, step.Accepted);
        Assert.Equal(5, step.NotAccepted);
        Assert.False(step.Sustained);
    }

    [Fact]
    public void Read_FunctionLog_TakesEachOrdersLatestAppliedOutcome()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(path,
            [
                "{\"timestamp\":\"2026-01-01T00:00:00.010+00:00\",\"service\":\"orderstatus\",\"message\":\"Outcome recorded\",\"orderId\":\"a\",\"result\":\"Applied\"}",
                "{\"timestamp\":\"2026-01-01T00:00:00.030+00:00\",\"service\":\"orderstatus\",\"message\":\"Outcome recorded\",\"orderId\":\"a\",\"result\":\"Applied\"}",
                "{\"timestamp\":\"2026-01-01T00:00:00.090+00:00\",\"service\":\"orderstatus\",\"message\":\"Outcome recorded\",\"orderId\":\"a\",\"result\":\"Duplicate\"}",
                "{\"timestamp\":\"2026-01-01T00:00:00.050+00:00\",\"service\":\"sms\",\"message\":\"OrderPlaced handled\",\"orderId\":\"b\"}",
                "{\"timestamp\":\"2026-01-01T00:00:00.070+00:00\",\"message\":\"Outcome recorded\",\"orderId\":\"b\",\"result\":\"Applied\"",
            ]);

            var latest = LogCompletionIndex.Read(path);

            Assert.Equal(_created.AddMilliseconds(30), latest["a"]);
            Assert.False(latest.ContainsKey("b"), "an unapplied or cut-off line names no completion");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("50,100, 150", new[] { 50.0, 100, 150 })]
    [InlineData("", new double[0])]
    public void ParseRates_CommaSeparated_ReadsEveryRate(string text, double[] expected) =>
        Assert.Equal(expected, BenchCommand.ParseRates(text));

    [Theory]
    [InlineData("50,fast")]
    [InlineData("0")]
    [InlineData("-5")]
    public void ParseRates_NotARate_IsAUsageError(string text) =>
        Assert.Throws<UsageException>(() => BenchCommand.ParseRates(text));

    [Fact]
    public async Task FakeRuntimeApi_RuntimeClientTakesTheEventAndResponds_RecordsInitThenAnswer()
    {
        var ct = TestContext.Current.CancellationToken;
        var payload = ColdStartRunner.FirstEvent(FanoutTopology.Sms.Function, _created);
        await using var api = await FakeRuntimeApi.StartAsync(payload, "arn:aws:lambda:us-east-1:000000000000:function:Sms", _created.AddSeconds(30), ct);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var client = new LambdaRuntimeClient(http, api.Address);
        var before = Stopwatch.GetTimestamp();

        var (invocation, received) = await client.NextAsync(ct);
        await client.SendResponseAsync(invocation.AwsRequestId, "{\"batchItemFailures\":[]}"u8.ToArray(), ct);
        var (answeredAt, outcome) = await api.Answered.WaitAsync(TimeSpan.FromSeconds(10), ct);

        Assert.Equal(payload, received);
        Assert.Equal(_created.AddSeconds(30), invocation.Deadline);
        Assert.Equal("arn:aws:lambda:us-east-1:000000000000:function:Sms", invocation.InvokedFunctionArn);
        Assert.Equal("response", outcome);
        Assert.InRange(await api.InitDone, before, answeredAt);
    }

    [Theory]
    [InlineData("{\"statusCode\":202,\"body\":\"{}\"}", "HTTP 202")]
    [InlineData("{\"batchItemFailures\":[{\"itemIdentifier\":\"m1\"}]}", "1 failed records")]
    [InlineData("{\"batchItemFailures\":[]}", "response")]
    [InlineData("not json", "response (not JSON)")]
    public void DescribeResponse_Body_SaysWhatTheFunctionAnswered(string body, string expected) =>
        Assert.Equal(expected, FakeRuntimeApi.DescribeResponse(Encoding.UTF8.GetBytes(body)));

    [Fact]
    public void FirstEvent_EveryFunction_IsNonEmptyJson()
    {
        foreach (var function in FanoutTopology.Functions)
        {
            using var json = System.Text.Json.JsonDocument.Parse(ColdStartRunner.FirstEvent(function, _created));
            Assert.Equal(System.Text.Json.JsonValueKind.Object, json.RootElement.ValueKind);
        }
    }

    [Theory]
    [InlineData(150, 6, 40)]
    [InlineData(125, 5, 40)]
    [InlineData(50, 2, 40)]
    [InlineData(10, 10, 1000)]
    [InlineData(33, 33, 1000)]
    public void Pacing_Rate_WholeTokensOverAWholeMillisecondPeriodAtExactlyThatRate(double rate, int tokens, int periodMs)
    {
        var (perPeriod, period) = RateStepRunner.Pacing(rate);

        Assert.Equal((tokens, periodMs), (perPeriod, (int)period.TotalMilliseconds));
        Assert.Equal(rate, perPeriod / period.TotalSeconds, 6);
    }
}

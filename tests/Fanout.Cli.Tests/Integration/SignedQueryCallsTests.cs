using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Amazon.Runtime;
using Fanout.AwsShims.Signing;
using Fanout.Cli.Targeting;
using Fanout.Cli.Watch;

namespace Fanout.Cli.Tests.Integration;

/// <summary>The CLI's own AWS Query calls (CloudFormation DescribeStacks, CloudWatch GetMetricStatistics) over real
/// HTTP against a local stand-in that records what arrives, the way AWS_ENDPOINT_URL_* would point them.</summary>
[Trait("Category", "Integration")]
public sealed class SignedQueryCallsTests : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<(string Authorization, string Body)> _requests = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Uri _endpoint;
    private readonly HttpClient _http = new();

    public SignedQueryCallsTests()
    {
        var port = FreePort();
        _endpoint = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(_endpoint.ToString());
        _listener.Start();
        _ = Task.Run(ServeAsync);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
        _http.Dispose();
        _stop.Dispose();
    }

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

            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            _requests.Enqueue((context.Request.Headers["Authorization"] ?? "", body));
            var (status, xml) = body.Contains("Action=DescribeStacks", StringComparison.Ordinal)
                ? body.Contains("StackName=fanout-test", StringComparison.Ordinal)
                    ? (200, "<DescribeStacksResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\"><DescribeStacksResult><Stacks><member><StackName>fanout-test</StackName><StackStatus>CREATE_COMPLETE</StackStatus><Outputs><member><OutputKey>ApiUrl</OutputKey><OutputValue>https://api.example.com/</OutputValue></member></Outputs></member></Stacks></DescribeStacksResult></DescribeStacksResponse>")
                    : (400, "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ghost does not exist</Message></Error></ErrorResponse>")
                : (200, "<GetMetricStatisticsResponse><GetMetricStatisticsResult><Datapoints><member><Timestamp>2026-11-23T10:00:00Z</Timestamp><Maximum>12.0</Maximum></member></Datapoints></GetMetricStatisticsResult></GetMetricStatisticsResponse>");
            var bytes = Encoding.UTF8.GetBytes(xml);
            context.Response.StatusCode = status;
            context.Response.ContentType = "text/xml";
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    private CloudFormationStackOutputs Stacks() => new(
        _http,
        TimeProvider.System,
        () => new BasicAWSCredentials("AKIDEXAMPLE", "not-a-real-secret"),
        name => name == "AWS_ENDPOINT_URL_CLOUDFORMATION" ? _endpoint.ToString() : null);

    [Fact]
    public async Task DescribeAsync_KnownStack_SendsASignedDescribeStacksAndReadsTheOutputs()
    {
        var stack = await Stacks().DescribeAsync("fanout-test", "eu-west-1", TestContext.Current.CancellationToken);

        Assert.Equal("https://api.example.com/", stack.Outputs["ApiUrl"]);
        var (authorization, body) = Assert.Single(_requests);
        Assert.StartsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", authorization, StringComparison.Ordinal);
        Assert.Contains("/eu-west-1/cloudformation/aws4_request", authorization, StringComparison.Ordinal);
        Assert.Equal("Action=DescribeStacks&Version=2010-05-15&StackName=fanout-test", body);
        Assert.DoesNotContain("not-a-real-secret", authorization, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DescribeAsync_UnknownStack_SaysWhichStackAndRegion()
    {
        var ex = await Assert.ThrowsAsync<TargetResolutionException>(() => Stacks().DescribeAsync("ghost", "eu-west-1", TestContext.Current.CancellationToken));

        Assert.Contains("'ghost'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("eu-west-1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAsync_CloudWatch_AsksForTheQueuesMetricAndCachesIt()
    {
        var caller = new SignedAwsHttpClient(_http, new BasicAWSCredentials("AKIDEXAMPLE", "x"), "eu-west-1", "monitoring", _endpoint, TimeProvider.System);
        var ages = new CloudWatchOldestMessageAge(caller, TimeProvider.System);
        var ct = TestContext.Current.CancellationToken;

        var age = await ages.GetAsync("https://sqs.eu-west-1.amazonaws.com/123456789012/fanout-sms-dlq", ct);
        await ages.GetAsync("https://sqs.eu-west-1.amazonaws.com/123456789012/fanout-sms-dlq", ct);

        Assert.Equal(TimeSpan.FromSeconds(12), age.Age);
        var (authorization, body) = Assert.Single(_requests);
        Assert.Contains("/eu-west-1/monitoring/aws4_request", authorization, StringComparison.Ordinal);
        Assert.Contains("MetricName=ApproximateAgeOfOldestMessage", body, StringComparison.Ordinal);
        Assert.Contains("Dimensions.member.1.Value=fanout-sms-dlq", body, StringComparison.Ordinal);
        Assert.Contains("Statistics.member.1=Maximum", body, StringComparison.Ordinal);
    }
}

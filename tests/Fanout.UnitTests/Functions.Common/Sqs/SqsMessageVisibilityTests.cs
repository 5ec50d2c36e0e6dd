using System.Net;
using System.Text.Json;
using Amazon.SQS.Model;
using Fanout.Functions.Common.Sqs;
using Fanout.UnitTests.TestDoubles;

namespace Fanout.UnitTests.Functions.Common.Sqs;

[Trait("Category", "Unit")]
public sealed class SqsMessageVisibilityTests
{
    private const string SmsArn = "arn:aws:sqs:eu-west-1:123456789012:fanout-sms";
    private const string EmailArn = "arn:aws:sqs:eu-west-1:123456789012:fanout-email";
    private const string Ok = "{\"Successful\":[],\"Failed\":[]}";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ChangeAsync_TwelveRecordsOfOneQueue_SendsTenThenTwoOnTheDerivedAwsUrl()
    {
        var http = new CapturingHttpHandler((_, _) => StubAwsClients.Json(Ok));
        var visibility = new SqsMessageVisibility(StubAwsClients.Sqs(http), null);
        var changes = Enumerable.Range(1, 12).Select(i => new VisibilityChange(SmsArn, $"m-{i}", $"r-{i}", i)).ToList();

        var failed = await visibility.ChangeAsync(changes, Ct);

        Assert.Empty(failed);
        Assert.Equal(2, http.Requests.Count);
        Assert.All(http.Requests, r => Assert.Equal("AmazonSQS.ChangeMessageVisibilityBatch", r.Headers["X-Amz-Target"]));
        var first = JsonDocument.Parse(http.Requests[0].BodyText).RootElement;
        Assert.Equal("https://sqs.eu-west-1.amazonaws.com/123456789012/fanout-sms", first.GetProperty("QueueUrl").GetString());
        var entries = first.GetProperty("Entries").EnumerateArray().ToList();
        Assert.Equal(10, entries.Count);
        Assert.Equal("m-1", entries[0].GetProperty("Id").GetString());
        Assert.Equal("r-1", entries[0].GetProperty("ReceiptHandle").GetString());
        Assert.Equal(1, entries[0].GetProperty("VisibilityTimeout").GetInt32());
        var second = JsonDocument.Parse(http.Requests[1].BodyText).RootElement.GetProperty("Entries").EnumerateArray().ToList();
        Assert.Equal(["m-11", "m-12"], second.Select(e => e.GetProperty("Id").GetString()));
        Assert.Equal(12, second[1].GetProperty("VisibilityTimeout").GetInt32());
    }

    [Fact]
    public async Task ChangeAsync_SomeEntriesRefused_ReturnsTheirIds()
    {
        var http = new CapturingHttpHandler((_, _) => StubAwsClients.Json(
            "{\"Successful\":[{\"Id\":\"m-1\"}],\"Failed\":[{\"Id\":\"m-2\",\"Code\":\"ReceiptHandleIsInvalid\",\"SenderFault\":true,\"Message\":\"expired\"}]}"));
        var visibility = new SqsMessageVisibility(StubAwsClients.Sqs(http), null);

        var failed = await visibility.ChangeAsync([new(SmsArn, "m-1", "r-1", 2), new(SmsArn, "m-2", "r-2", 2)], Ct);

        Assert.Equal(["m-2"], failed);
    }

    [Fact]
    public async Task ChangeAsync_AnswerWithoutAFailedList_ReportsNothingFailed()
    {
        var http = new CapturingHttpHandler((_, _) => StubAwsClients.Json("{\"Successful\":[{\"Id\":\"m-1\"}]}"));
        var visibility = new SqsMessageVisibility(StubAwsClients.Sqs(http), null);

        Assert.Empty(await visibility.ChangeAsync([new(SmsArn, "m-1", "r-1", 2)], Ct));
    }

    [Fact]
    public void Constructor_NoClient_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => new SqsMessageVisibility(null!, null));
    }

    [Fact]
    public async Task ChangeAsync_RecordsOfTwoQueues_OneCallPerQueue()
    {
        var http = new CapturingHttpHandler((_, _) => StubAwsClients.Json(Ok));
        var visibility = new SqsMessageVisibility(StubAwsClients.Sqs(http), new Uri("http://127.0.0.1:4566"));

        await visibility.ChangeAsync([new(SmsArn, "m-1", "r-1", 2), new(EmailArn, "m-2", "r-2", 4), new(SmsArn, "m-3", "r-3", 8)], Ct);

        var urls = http.Requests.Select(r => JsonDocument.Parse(r.BodyText).RootElement.GetProperty("QueueUrl").GetString()).ToList();
        Assert.Equal(["http://127.0.0.1:4566/123456789012/fanout-sms", "http://127.0.0.1:4566/123456789012/fanout-email"], urls);
        Assert.Equal(2, JsonDocument.Parse(http.Requests[0].BodyText).RootElement.GetProperty("Entries").GetArrayLength());
    }

    [Fact]
    public async Task ChangeAsync_NotAQueueArn_ReportsItsRecordsFailedWithoutACall()
    {
        var http = new CapturingHttpHandler((_, _) => StubAwsClients.Json(Ok));
        var visibility = new SqsMessageVisibility(StubAwsClients.Sqs(http), null);

        var failed = await visibility.ChangeAsync([new("not-an-arn", "m-1", "r-1", 2), new("not-an-arn", "m-2", "r-2", 2)], Ct);

        Assert.Equal(["m-1", "m-2"], failed);
        Assert.Empty(http.Requests);
    }

    [Fact]
    public async Task ChangeAsync_EmulatorNamesTheQueueDifferently_LooksTheUrlUpOnceAndKeepsIt()
    {
        const string emulatorUrl = "http://sqs.eu-west-1.localhost:4566/123456789012/fanout-sms";
        var http = new CapturingHttpHandler((request, _) =>
        {
            var body = JsonDocument.Parse(request.BodyText).RootElement;
            if (request.Headers["X-Amz-Target"] == "AmazonSQS.GetQueueUrl")
            {
                return StubAwsClients.Json($"{{\"QueueUrl\":\"{emulatorUrl}\"}}");
            }

            return body.GetProperty("QueueUrl").GetString() == emulatorUrl
                ? StubAwsClients.Json(Ok)
                : StubAwsClients.Json("{\"__type\":\"com.amazonaws.sqs#QueueDoesNotExist\",\"message\":\"no such queue\"}", HttpStatusCode.BadRequest);
        });
        var visibility = new SqsMessageVisibility(StubAwsClients.Sqs(http), new Uri("http://127.0.0.1:4566"));

        Assert.Empty(await visibility.ChangeAsync([new(SmsArn, "m-1", "r-1", 2)], Ct));
        Assert.Empty(await visibility.ChangeAsync([new(SmsArn, "m-2", "r-2", 2)], Ct));

        Assert.Equal(
            ["AmazonSQS.ChangeMessageVisibilityBatch", "AmazonSQS.GetQueueUrl", "AmazonSQS.ChangeMessageVisibilityBatch", "AmazonSQS.ChangeMessageVisibilityBatch"],
            http.Requests.Select(r => r.Headers["X-Amz-Target"]));
        var lookup = JsonDocument.Parse(http.Requests[1].BodyText).RootElement;
        Assert.Equal("fanout-sms", lookup.GetProperty("QueueName").GetString());
        Assert.Equal("123456789012", lookup.GetProperty("QueueOwnerAWSAccountId").GetString());
    }

    [Fact]
    public async Task ChangeAsync_DerivedUrlWorks_IsKeptWithoutALookup()
    {
        var http = new CapturingHttpHandler((_, _) => StubAwsClients.Json(Ok));
        var visibility = new SqsMessageVisibility(StubAwsClients.Sqs(http), new Uri("http://127.0.0.1:4566"));

        await visibility.ChangeAsync([new(SmsArn, "m-1", "r-1", 2)], Ct);
        await visibility.ChangeAsync([new(SmsArn, "m-2", "r-2", 2)], Ct);

        Assert.All(http.Requests, r => Assert.Equal("AmazonSQS.ChangeMessageVisibilityBatch", r.Headers["X-Amz-Target"]));
        Assert.Equal(2, http.Requests.Count);
    }

    [Fact]
    public async Task ChangeAsync_QueueMissingOnAws_Throws()
    {
        var http = new CapturingHttpHandler((_, _) => StubAwsClients.Json("{\"__type\":\"com.amazonaws.sqs#QueueDoesNotExist\",\"message\":\"gone\"}", HttpStatusCode.BadRequest));
        var visibility = new SqsMessageVisibility(StubAwsClients.Sqs(http), null);

        await Assert.ThrowsAsync<QueueDoesNotExistException>(() => visibility.ChangeAsync([new(SmsArn, "m-1", "r-1", 2)], Ct));
        Assert.Single(http.Requests);
    }
}

using System.Net;
using Amazon.Runtime;
using Fanout.AwsShims.Signing;
using Fanout.AwsShims.Sns;
using Fanout.UnitTests.AwsShims.Signing;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.AwsShims.Sns;

[Trait("Category", "Unit")]
public sealed class SnsClientTests
{
    private const string TopicArn = "arn:aws:sns:us-east-1:123456789012:order-events";

    [Fact]
    public void BuildPublishForm_TopicMessageAndAttribute_ProducesTheQueryProtocolFormInOrder()
    {
        var form = SnsClient.BuildPublishForm(new SnsPublishRequest
        {
            TopicArn = TopicArn,
            Message = "{\"id\":\"a b\"}",
            StringAttributes = new Dictionary<string, string> { ["type"] = "OrderPlaced" },
        });

        Assert.Equal(
            "Action=Publish&Version=2010-03-31" +
            "&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3Aorder-events" +
            "&Message=%7B%22id%22%3A%22a%20b%22%7D" +
            "&MessageAttributes.entry.1.Name=type" +
            "&MessageAttributes.entry.1.Value.DataType=String" +
            "&MessageAttributes.entry.1.Value.StringValue=OrderPlaced",
            form);
    }

    [Fact]
    public void BuildPublishForm_ReservedAndNonAsciiCharacters_AreEncodedPerRfc3986()
    {
        // RFC 3986: only A-Z a-z 0-9 - . _ ~ stay as they are; a space is %20 (never '+'), UTF-8 bytes are escaped.
        var form = SnsClient.BuildPublishForm(new SnsPublishRequest { TopicArn = "t", Message = "a+b c/d~e_f.g-h*i'j(k)l!m&n=o?p#q%r\u00e9\u20ac" });

        Assert.Equal(
            "Action=Publish&Version=2010-03-31&TopicArn=t" +
            "&Message=a%2Bb%20c%2Fd~e_f.g-h%2Ai%27j%28k%29l%21m%26n%3Do%3Fp%23q%25r%C3%A9%E2%82%AC",
            form);
    }

    [Fact]
    public void BuildPublishForm_SeveralAttributes_NumbersEntriesFromOne()
    {
        var form = SnsClient.BuildPublishForm(new SnsPublishRequest
        {
            TopicArn = TopicArn,
            Message = "m",
            StringAttributes = new Dictionary<string, string> { ["type"] = "SmsSent", ["correlationId"] = "corr 1" },
        });

        Assert.EndsWith(
            "&MessageAttributes.entry.1.Name=type&MessageAttributes.entry.1.Value.DataType=String&MessageAttributes.entry.1.Value.StringValue=SmsSent" +
            "&MessageAttributes.entry.2.Name=correlationId&MessageAttributes.entry.2.Value.DataType=String&MessageAttributes.entry.2.Value.StringValue=corr%201",
            form,
            StringComparison.Ordinal);
    }

    [Fact]
    public void BuildPublishForm_DirectSmsWithSubject_HasPhoneNumberAndNoTopic()
    {
        var form = SnsClient.BuildPublishForm(new SnsPublishRequest { PhoneNumber = "+14155550123", Message = "Hi", Subject = "Order" });

        Assert.Equal("Action=Publish&Version=2010-03-31&PhoneNumber=%2B14155550123&Message=Hi&Subject=Order", form);
    }

    [Fact]
    public async Task PublishAsync_SuccessfulAnswer_ReturnsTheMessageIdAndPostsTheForm()
    {
        var handler = new CapturingHttpHandler((_, _) => CapturingHttpHandler.Answer(
            HttpStatusCode.OK,
            "<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><PublishResult><MessageId>567910cd-659e-55d4-8ccb-5aaf14679dc0</MessageId></PublishResult>" +
            "<ResponseMetadata><RequestId>d74b8436-ae13-5ab4-a9ff-ce54dfea72a0</RequestId></ResponseMetadata></PublishResponse>"));
        var request = new SnsPublishRequest { TopicArn = TopicArn, Message = "hello", StringAttributes = new Dictionary<string, string> { ["type"] = "OrderPlaced" } };

        var messageId = await Client(handler).PublishAsync(request, CallIdempotency.Idempotent, TestContext.Current.CancellationToken);

        Assert.Equal("567910cd-659e-55d4-8ccb-5aaf14679dc0", messageId);
        var sent = Assert.Single(handler.Requests);
        Assert.Equal(HttpMethod.Post, sent.Method);
        Assert.Equal(new Uri("http://localhost:4566/"), sent.Uri);
        Assert.Equal(SnsClient.BuildPublishForm(request), sent.BodyText);
        Assert.StartsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", sent.Headers["Authorization"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task PublishAsync_ErrorAnswer_ThrowsWithTheSnsErrorCode()
    {
        var handler = new CapturingHttpHandler((_, _) => CapturingHttpHandler.Answer(
            HttpStatusCode.NotFound,
            "<ErrorResponse><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message></Error></ErrorResponse>"));

        var time = new DrivenClock(TestClock.Start);

        var error = await time.RunThrows<AwsServiceException>(
            Client(handler, time).PublishAsync(new SnsPublishRequest { TopicArn = TopicArn, Message = "m" }, CallIdempotency.Idempotent, TestContext.Current.CancellationToken));

        Assert.Single(handler.Requests);
        Assert.Equal("NotFound", error.ErrorCode);
        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Contains("Topic does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PublishAsync_AnswerWithoutMessageId_Throws()
    {
        var handler = new CapturingHttpHandler((_, _) => CapturingHttpHandler.Answer(HttpStatusCode.OK, "<PublishResponse><PublishResult/></PublishResponse>"));

        await Assert.ThrowsAsync<AwsServiceException>(
            () => Client(handler).PublishAsync(new SnsPublishRequest { TopicArn = TopicArn, Message = "m" }, CallIdempotency.Idempotent, TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData(CallIdempotency.Idempotent, SignedAwsHttpClient.MaxAttempts)]
    [InlineData(CallIdempotency.NotIdempotent, 1)]
    public async Task PublishAsync_InternalError_IsRetriedOnlyWhenTheCallerSaysItIsIdempotent(CallIdempotency idempotency, int expectedRequests)
    {
        var handler = new CapturingHttpHandler((_, _) => CapturingHttpHandler.QueryError(HttpStatusCode.InternalServerError, "InternalError", "Internal error"));
        var time = new DrivenClock(TestClock.Start);

        var error = await time.RunThrows<AwsServiceException>(
            Client(handler, time).PublishAsync(new SnsPublishRequest { TopicArn = TopicArn, Message = "m" }, idempotency, TestContext.Current.CancellationToken));

        Assert.Equal("InternalError", error.ErrorCode);
        Assert.Equal(HttpStatusCode.InternalServerError, error.StatusCode);
        Assert.Equal(expectedRequests, handler.Requests.Count);
    }

    [Fact]
    public async Task PublishAsync_ErrorWithoutXmlBody_ThrowsWithUnknownCode()
    {
        var handler = new CapturingHttpHandler((_, _) => CapturingHttpHandler.Answer(HttpStatusCode.BadRequest, "Bad Request", "text/plain"));

        var time = new DrivenClock(TestClock.Start);

        var error = await time.RunThrows<AwsServiceException>(
            Client(handler, time).PublishAsync(new SnsPublishRequest { TopicArn = TopicArn, Message = "m" }, CallIdempotency.NotIdempotent, TestContext.Current.CancellationToken));

        Assert.Equal("Unknown", error.ErrorCode);
        Assert.Contains("Bad Request", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateTopicAsync_ServerErrorThenSuccess_IsRetriedAsAnIdempotentCall()
    {
        var handler = new CapturingHttpHandler((_, n) => n == 1
            ? CapturingHttpHandler.QueryError(HttpStatusCode.ServiceUnavailable, "ServiceUnavailable")
            : CapturingHttpHandler.Answer(HttpStatusCode.OK, $"<CreateTopicResponse><CreateTopicResult><TopicArn>{TopicArn}</TopicArn></CreateTopicResult></CreateTopicResponse>"));
        var time = new DrivenClock(TestClock.Start);

        var arn = await time.Run(Client(handler, time).CreateTopicAsync("order-events", null, TestContext.Current.CancellationToken));

        Assert.Equal(TopicArn, arn);
        Assert.Equal(2, handler.Requests.Count);
    }

    [Fact]
    public async Task PublishBatchAsync_MixedAnswer_SplitsSuccessesAndFailures()
    {
        var handler = new CapturingHttpHandler((_, _) => CapturingHttpHandler.Answer(
            HttpStatusCode.OK,
            "<PublishBatchResponse><PublishBatchResult><Successful><member><Id>a</Id><MessageId>m-a</MessageId></member></Successful>" +
            "<Failed><member><Id>b</Id><Code>InvalidParameter</Code><Message>bad</Message><SenderFault>true</SenderFault></member></Failed>" +
            "</PublishBatchResult></PublishBatchResponse>"));
        SnsPublishRequest[] entries = [new() { Message = "1", BatchEntryId = "a" }, new() { Message = "2", BatchEntryId = "b" }];

        var result = await Client(handler).PublishBatchAsync(TopicArn, entries, CallIdempotency.Idempotent, TestContext.Current.CancellationToken);

        Assert.Equal([new SnsBatchSuccess("a", "m-a")], result.Successful);
        Assert.Equal([new SnsBatchFailure("b", "InvalidParameter", "bad", true)], result.Failed);
        Assert.Contains("PublishBatchRequestEntries.member.2.Id=b&PublishBatchRequestEntries.member.2.Message=2", Assert.Single(handler.Requests).BodyText, StringComparison.Ordinal);
    }

    internal static SnsClient Client(CapturingHttpHandler handler, TimeProvider time) =>
        new(new SignedAwsHttpClient(
            new HttpClient(handler),
            new BasicAWSCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            "us-east-1",
            "sns",
            new Uri("http://localhost:4566/"),
            time));

    internal static SnsClient Client(CapturingHttpHandler handler) =>
        new(new SignedAwsHttpClient(
            new HttpClient(handler),
            new BasicAWSCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            "us-east-1",
            "sns",
            new Uri("http://localhost:4566/"),
            TestClock.Create()));
}

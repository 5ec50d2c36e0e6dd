using System.Net;
using Fanout.AwsShims.Signing;
using Fanout.Contracts.Events;
using Fanout.Sms;
using Fanout.Sms.Core;
using Fanout.UnitTests.AwsShims.Signing;
using Fanout.UnitTests.AwsShims.Sns;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.Sms;

[Trait("Category", "Unit")]
public sealed class SnsSmsSenderTests
{
    private const string Phone = "+14155550123";
    private const string Text = "Your order o-42 is confirmed";

    [Fact]
    public async Task SendAsync_Accepted_PublishesATransactionalSmsToThePhoneAndReturnsTheMessageId()
    {
        var handler = new CapturingHttpHandler((_, _) => CapturingHttpHandler.Answer(
            HttpStatusCode.OK, "<PublishResponse><PublishResult><MessageId>sms-1</MessageId></PublishResult></PublishResponse>"));

        var id = await Sender(handler, TestClock.Create()).SendAsync("o-42", new SmsMessage(Phone, Text, NotificationKinds.OrderReceived), null, TestContext.Current.CancellationToken);

        Assert.Equal("sms-1", id);
        var body = Assert.Single(handler.Requests).BodyText;
        Assert.Contains("&PhoneNumber=%2B14155550123&Message=Your%20order%20o-42%20is%20confirmed", body, StringComparison.Ordinal);
        Assert.Contains("Name=AWS.SNS.SMS.SMSType&MessageAttributes.entry.1.Value.DataType=String&MessageAttributes.entry.1.Value.StringValue=Transactional", body, StringComparison.Ordinal);
        Assert.DoesNotContain("TopicArn", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("InvalidParameter")]
    [InlineData("InvalidParameterValue")]
    [InlineData("ValidationException")]
    [InlineData("OptedOut")]
    [InlineData("EndpointDisabled")]
    public async Task SendAsync_PermanentRefusal_IsPoisonAtOnceWithTheCodeAndNoPersonalData(string code)
    {
        // AWS's message quotes the number and the text; the poison reason must carry neither.
        var handler = new CapturingHttpHandler((_, _) => CapturingHttpHandler.QueryError(
            HttpStatusCode.BadRequest, code, $"Invalid parameter: PhoneNumber {Phone} rejected for message '{Text}'"));
        var time = new DrivenClock(TestClock.Start);

        var error = await time.RunThrows<PoisonMessageException>(Sender(handler, time).SendAsync("o-42", new SmsMessage(Phone, Text, NotificationKinds.OrderReceived), null, TestContext.Current.CancellationToken));

        Assert.Single(handler.Requests);
        Assert.Equal($"SNS refused the SMS for order o-42 with {code} (HTTP 400), a permanent error.", error.Message);
        Assert.DoesNotContain(Phone, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("confirmed", error.ToString(), StringComparison.Ordinal);
        Assert.Null(error.InnerException);
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError, "InternalError")]
    [InlineData(HttpStatusCode.Forbidden, "AuthorizationError")]
    [InlineData(HttpStatusCode.BadRequest, "KMSDisabled")]
    public async Task SendAsync_TransientRefusal_IsNotPoisonAndNotRetried(HttpStatusCode status, string code)
    {
        var handler = new CapturingHttpHandler((_, _) => CapturingHttpHandler.QueryError(status, code));
        var time = new DrivenClock(TestClock.Start);

        var error = await time.RunThrows<AwsServiceException>(Sender(handler, time).SendAsync("o-42", new SmsMessage(Phone, Text, NotificationKinds.OrderReceived), null, TestContext.Current.CancellationToken));

        Assert.Equal(code, error.ErrorCode);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task SendAsync_ThrottledThenAccepted_IsRetriedAndSendsOnce()
    {
        var handler = new CapturingHttpHandler((_, n) => n == 1
            ? CapturingHttpHandler.QueryError(HttpStatusCode.TooManyRequests, "Throttled")
            : CapturingHttpHandler.Answer(HttpStatusCode.OK, "<PublishResponse><PublishResult><MessageId>sms-2</MessageId></PublishResult></PublishResponse>"));
        var time = new DrivenClock(TestClock.Start);

        var id = await time.Run(Sender(handler, time).SendAsync("o-42", new SmsMessage(Phone, Text, NotificationKinds.OrderReceived), null, TestContext.Current.CancellationToken));

        Assert.Equal("sms-2", id);
        Assert.Equal(2, handler.Requests.Count);
    }

    [Fact]
    public async Task SendAsync_ThrottledEveryTime_IsATransientFailureAfterMaxAttempts()
    {
        var handler = new CapturingHttpHandler((_, _) => CapturingHttpHandler.QueryError(HttpStatusCode.TooManyRequests, "Throttled"));
        var time = new DrivenClock(TestClock.Start);

        var error = await time.RunThrows<AwsServiceException>(Sender(handler, time).SendAsync("o-42", new SmsMessage(Phone, Text, NotificationKinds.OrderReceived), null, TestContext.Current.CancellationToken));

        Assert.Equal("Throttled", error.ErrorCode);
        Assert.Equal(SignedAwsHttpClient.MaxAttempts, handler.Requests.Count);
    }

    [Fact]
    public async Task SendAsync_Timeout_IsSentOnceAndFailsTransiently()
    {
        // The SMS may already be on its way: retrying could text the customer twice.
        var handler = new CapturingHttpHandler((_, _) => throw new TaskCanceledException("HttpClient.Timeout", new TimeoutException()));
        var time = new DrivenClock(TestClock.Start);

        var error = await time.RunThrows<AwsTransportException>(Sender(handler, time).SendAsync("o-42", new SmsMessage(Phone, Text, NotificationKinds.OrderReceived), null, TestContext.Current.CancellationToken));

        Assert.True(error.MayHaveReachedService);
        Assert.Single(handler.Requests);
    }

    private static SnsSmsSender Sender(CapturingHttpHandler handler, TimeProvider time) => new(SnsClientTests.Client(handler, time));
}

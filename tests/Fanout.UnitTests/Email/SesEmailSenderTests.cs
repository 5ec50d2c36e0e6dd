using System.Net;
using Fanout.AwsShims.Signing;
using Fanout.Contracts.Events;
using Fanout.Email;
using Fanout.Email.Core;
using Fanout.UnitTests.AwsShims.Ses;
using Fanout.UnitTests.AwsShims.Signing;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.Email;

[Trait("Category", "Unit")]
public sealed class SesEmailSenderTests
{
    private const string From = "shop@example.com";
    private static readonly EmailMessage _message = new("ana.lopez@example.org", "Order o-7 confirmed", "Hello Ana, thanks for order o-7.", NotificationKinds.OrderReceived);

    [Fact]
    public async Task SendAsync_Accepted_SendsFromTheConfiguredIdentityAndReturnsTheMessageId()
    {
        var handler = new CapturingHttpHandler((_, _) => CapturingHttpHandler.Answer(HttpStatusCode.OK, "{\"MessageId\":\"ses-1\"}", "application/json"));

        var id = await Sender(handler, TestClock.Create()).SendAsync("o-7", _message, null, TestContext.Current.CancellationToken);

        Assert.Equal("ses-1", id);
        var body = Assert.Single(handler.Requests).BodyText;
        Assert.Contains("\"FromEmailAddress\":\"shop@example.com\"", body, StringComparison.Ordinal);
        Assert.Contains("\"ToAddresses\":[\"ana.lopez@example.org\"]", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("MessageRejected")]
    [InlineData("MailFromDomainNotVerifiedException")]
    [InlineData("AccountSuspendedException")]
    [InlineData("BadRequestException")]
    [InlineData("ValidationException")]
    public async Task SendAsync_PermanentRefusal_IsPoisonAtOnceWithTheCodeAndNoPersonalData(string code)
    {
        // SES's message names the identities it refused; the poison reason must not.
        var handler = new CapturingHttpHandler((_, _) => CapturingHttpHandler.JsonError(
            HttpStatusCode.BadRequest, code, $"Email address is not verified: {_message.To} ({_message.Subject})"));
        var time = new DrivenClock(TestClock.Start);

        var error = await time.RunThrows<PoisonMessageException>(Sender(handler, time).SendAsync("o-7", _message, null, TestContext.Current.CancellationToken));

        Assert.Single(handler.Requests);
        Assert.Equal($"SES refused the e-mail for order o-7 with {code} (HTTP 400), a permanent error.", error.Message);
        Assert.DoesNotContain("ana.lopez", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(From, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Hello Ana", error.ToString(), StringComparison.Ordinal);
        Assert.Null(error.InnerException);
    }

    [Theory]
    [InlineData(HttpStatusCode.InternalServerError, "InternalFailure")]
    [InlineData(HttpStatusCode.BadRequest, "SendingPausedException")]
    [InlineData(HttpStatusCode.BadRequest, "LimitExceededException")]
    [InlineData(HttpStatusCode.NotFound, "NotFoundException")]
    public async Task SendAsync_TransientRefusal_IsNotPoisonAndNotRetried(HttpStatusCode status, string code)
    {
        var handler = new CapturingHttpHandler((_, _) => CapturingHttpHandler.JsonError(status, code));
        var time = new DrivenClock(TestClock.Start);

        var error = await time.RunThrows<AwsServiceException>(Sender(handler, time).SendAsync("o-7", _message, null, TestContext.Current.CancellationToken));

        Assert.Equal(code, error.ErrorCode);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task SendAsync_TooManyRequestsThenAccepted_IsRetried()
    {
        var handler = new CapturingHttpHandler((_, n) => n == 1
            ? CapturingHttpHandler.JsonError(HttpStatusCode.TooManyRequests, "TooManyRequestsException")
            : CapturingHttpHandler.Answer(HttpStatusCode.OK, "{\"MessageId\":\"ses-2\"}", "application/json"));
        var time = new DrivenClock(TestClock.Start);

        var id = await time.Run(Sender(handler, time).SendAsync("o-7", _message, null, TestContext.Current.CancellationToken));

        Assert.Equal("ses-2", id);
        Assert.Equal(2, handler.Requests.Count);
    }

    [Fact]
    public async Task SendAsync_Timeout_IsSentOnceAndFailsTransiently()
    {
        var handler = new CapturingHttpHandler((_, _) => throw new TaskCanceledException("HttpClient.Timeout", new TimeoutException()));
        var time = new DrivenClock(TestClock.Start);

        var error = await time.RunThrows<AwsTransportException>(Sender(handler, time).SendAsync("o-7", _message, null, TestContext.Current.CancellationToken));

        Assert.True(error.MayHaveReachedService);
        Assert.Single(handler.Requests);
    }

    private static SesEmailSender Sender(CapturingHttpHandler handler, TimeProvider time) => new(SesClientTests.Client(handler, time), From);
}

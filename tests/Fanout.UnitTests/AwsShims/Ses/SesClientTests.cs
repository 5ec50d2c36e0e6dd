using System.Net;
using System.Text.Json;
using Amazon.Runtime;
using Fanout.AwsShims.Ses;
using Fanout.AwsShims.Signing;
using Fanout.UnitTests.AwsShims.Signing;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.AwsShims.Ses;

[Trait("Category", "Unit")]
public sealed class SesClientTests
{
    [Fact]
    public async Task SendEmailAsync_Accepted_PostsTheSimpleMessageAndReturnsTheMessageId()
    {
        var handler = new CapturingHttpHandler((_, _) => CapturingHttpHandler.Answer(HttpStatusCode.OK, "{\"MessageId\":\"0100-abc\"}", "application/json"));

        var id = await Client(handler, TestClock.Create()).SendEmailAsync("shop@example.com", "ana@example.com", "Order o-1", "Thanks", TestContext.Current.CancellationToken);

        Assert.Equal("0100-abc", id);
        var sent = Assert.Single(handler.Requests);
        Assert.Equal(HttpMethod.Post, sent.Method);
        Assert.Equal(new Uri("http://localhost:4566/v2/email/outbound-emails"), sent.Uri);
        Assert.Equal("application/json", sent.Headers["Content-Type"]);
        Assert.Contains("/us-east-1/ses/aws4_request", sent.Headers["Authorization"], StringComparison.Ordinal);
        using var body = JsonDocument.Parse(sent.BodyText);
        var root = body.RootElement;
        Assert.Equal("shop@example.com", root.GetProperty("FromEmailAddress").GetString());
        Assert.Equal("ana@example.com", root.GetProperty("Destination").GetProperty("ToAddresses")[0].GetString());
        Assert.Equal("Order o-1", root.GetProperty("Content").GetProperty("Simple").GetProperty("Subject").GetProperty("Data").GetString());
        Assert.Equal("Thanks", root.GetProperty("Content").GetProperty("Simple").GetProperty("Body").GetProperty("Text").GetProperty("Data").GetString());
    }

    [Fact]
    public async Task SendEmailAsync_ErrorAnswer_ThrowsWithTheErrorTypeCodeAndMessage()
    {
        var handler = new CapturingHttpHandler((_, _) => CapturingHttpHandler.JsonError(HttpStatusCode.BadRequest, "MessageRejected", "Email address is not verified."));

        var time = new DrivenClock(TestClock.Start);

        var error = await time.RunThrows<AwsServiceException>(
            Client(handler, time).SendEmailAsync("a@example.com", "b@example.com", "s", "t", TestContext.Current.CancellationToken));

        Assert.Single(handler.Requests);
        Assert.Equal("MessageRejected", error.ErrorCode);
        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Contains("Email address is not verified.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendEmailAsync_ServerError_IsNotRetriedBecauseSendEmailIsNotIdempotent()
    {
        var handler = new CapturingHttpHandler((_, _) => CapturingHttpHandler.JsonError(HttpStatusCode.InternalServerError, "InternalFailure"));
        var time = new DrivenClock(TestClock.Start);

        var error = await time.RunThrows<AwsServiceException>(
            Client(handler, time).SendEmailAsync("a@example.com", "b@example.com", "s", "t", TestContext.Current.CancellationToken));

        Assert.Equal("InternalFailure", error.ErrorCode);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task SendEmailAsync_AnswerWithoutMessageId_Throws()
    {
        var handler = new CapturingHttpHandler((_, _) => CapturingHttpHandler.Answer(HttpStatusCode.OK, "{}", "application/json"));

        await Assert.ThrowsAsync<AwsServiceException>(
            () => Client(handler, TestClock.Create()).SendEmailAsync("a@example.com", "b@example.com", "s", "t", TestContext.Current.CancellationToken));
    }

    internal static SesClient Client(CapturingHttpHandler handler, TimeProvider time) =>
        new(new SignedAwsHttpClient(
            new HttpClient(handler),
            new BasicAWSCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            "us-east-1",
            "ses",
            new Uri("http://localhost:4566/"),
            time));
}

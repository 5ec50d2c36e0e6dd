using System.Net;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Fanout.AwsShims.Signing;
using Fanout.Functions.Common.Logging;

namespace Fanout.UnitTests.Functions.Common.Logging;

[Trait("Category", "Unit")]
public sealed class ErrorTextTests
{
    [Fact]
    public void Describe_AwsShimErrorWithACode_IsTheCodeAndStatusOnly()
    {
        var error = new AwsServiceException("SES", "MessageRejected", "Email address is not verified: ada@example.com", HttpStatusCode.BadRequest);

        Assert.Equal("MessageRejected (HTTP 400)", ErrorText.Describe(error));
    }

    [Fact]
    public void Describe_AwsShimErrorWithoutACode_IsItsOwnMessage()
    {
        // Raised by Fanout's shims themselves (e.g. an answer that is not XML): the text is Fanout's.
        Assert.Equal("SNS answered 502 with a body that is not XML.", ErrorText.Describe(new AwsServiceException("SNS answered 502 with a body that is not XML.")));
    }

    [Fact]
    public void Describe_AwsSdkError_IsTheCodeAndStatusOnly()
    {
        var error = new ConditionalCheckFailedException("The conditional request failed for ada@example.com") { ErrorCode = "ConditionalCheckFailedException", StatusCode = HttpStatusCode.BadRequest };

        Assert.Equal("ConditionalCheckFailedException (HTTP 400)", ErrorText.Describe(error));
    }

    [Fact]
    public void Describe_AwsSdkErrorWithoutACode_IsTheTypeAndStatus()
    {
        var error = new AmazonServiceException("Service unavailable for +14155550123") { StatusCode = HttpStatusCode.ServiceUnavailable };

        Assert.Equal("AmazonServiceException (HTTP 503)", ErrorText.Describe(error));
    }

    [Fact]
    public void Describe_AnyOtherException_IsItsMessage()
    {
        Assert.Equal("Event e-1 is being handled by another invocation.", ErrorText.Describe(new InvalidOperationException("Event e-1 is being handled by another invocation.")));
    }

    [Fact]
    public void Describe_Null_ThrowsArgumentNullException()
    {
        Assert.Equal("exception", Assert.Throws<ArgumentNullException>(() => ErrorText.Describe(null!)).ParamName);
    }

    [Fact]
    public void Logger_ErrorWithAnAwsException_WritesTheCodeNotTheMessage()
    {
        using var output = new StringWriter();
        var log = new FanoutLogger("sms", TimeProvider.System, output);

        log.Error("failed", new AwsServiceException("SNS", "InvalidParameter", "Invalid parameter: PhoneNumber +14155550123", HttpStatusCode.BadRequest));

        Assert.Contains("\"errorType\":\"AwsServiceException\",\"error\":\"InvalidParameter (HTTP 400)\"", output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("4155550123", output.ToString(), StringComparison.Ordinal);
    }
}

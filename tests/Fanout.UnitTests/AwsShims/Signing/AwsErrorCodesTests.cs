using System.Net;
using Fanout.AwsShims.Signing;

namespace Fanout.UnitTests.AwsShims.Signing;

[Trait("Category", "Unit")]
public sealed class AwsErrorCodesTests
{
    [Theory]
    [InlineData("ValidationException:http://internal.amazon.com/coral/com.amazon.coral.validate/", "ValidationException")]
    [InlineData("MessageRejected", "MessageRejected")]
    [InlineData("  TooManyRequestsException  ", "TooManyRequestsException")]
    [InlineData("aws.protocoltests#InvalidGreeting:http://internal.amazon.com/", "InvalidGreeting")]
    public void Read_ErrorTypeHeader_IsTheCodeWithoutNamespaceOrTail(string header, string expected)
    {
        Assert.Equal(expected, AwsErrorCodes.Read(header, "<ErrorResponse><Error><Code>FromBody</Code></Error></ErrorResponse>"));
    }

    [Theory]
    [InlineData("<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error><Type>Sender</Type><Code>InvalidParameter</Code></Error></ErrorResponse>", "InvalidParameter")]
    [InlineData("<Error><Code>RequestTimeTooSkewed</Code><Message>m</Message></Error>", "RequestTimeTooSkewed")]
    [InlineData("  <Response><Errors><Error><Code>AuthFailure</Code></Error></Errors></Response>", "AuthFailure")]
    [InlineData("{\"__type\":\"com.amazonaws.sesv2#MessageRejected\",\"message\":\"m\"}", "MessageRejected")]
    [InlineData("{\"code\":\"BadRequestException\"}", "BadRequestException")]
    [InlineData("{\"Code\":\"NotFoundException\"}", "NotFoundException")]
    [InlineData("{\"__type\":7,\"code\":\"Throttling\"}", "Throttling")]
    public void Read_NoHeader_TakesTheCodeFromTheBody(string body, string expected)
    {
        Assert.Equal(expected, AwsErrorCodes.Read(null, body));
        Assert.Equal(expected, AwsErrorCodes.Read("   ", body));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Service Unavailable")]
    [InlineData("<html><body>Bad Gateway</body></html>")]
    [InlineData("<Error><Code>unclosed")]
    [InlineData("<ErrorResponse><Error><Code></Code></Error></ErrorResponse>")]
    [InlineData("{\"message\":\"no code\"}")]
    [InlineData("[\"Throttling\"]")]
    [InlineData("{ not json")]
    public void Read_NoCodeAnywhere_IsNull(string body)
    {
        Assert.Null(AwsErrorCodes.Read(null, body));
    }

    [Theory]
    [InlineData("ValidationException", "Validation")]
    [InlineData("MessageRejected", "MessageRejected")]
    [InlineData("ExceptionThrown", "ExceptionThrown")]
    public void Normalize_TrailingException_IsRemovedOnlyAtTheEnd(string code, string expected)
    {
        Assert.Equal(expected, AwsErrorCodes.Normalize(code));
    }

    [Theory]
    [InlineData("Throttling", HttpStatusCode.BadRequest, true)]
    [InlineData("ThrottledException", HttpStatusCode.BadRequest, true)]
    [InlineData(null, HttpStatusCode.TooManyRequests, true)]
    [InlineData("InvalidParameter", HttpStatusCode.TooManyRequests, true)]
    [InlineData(null, HttpStatusCode.BadRequest, false)]
    [InlineData("InvalidParameter", HttpStatusCode.BadRequest, false)]
    [InlineData("LimitExceededException", HttpStatusCode.BadRequest, false)]
    public void IsThrottling_CodeOrStatus_Classifies(string? code, HttpStatusCode status, bool expected)
    {
        Assert.Equal(expected, AwsErrorCodes.IsThrottling(code, status));
    }

    [Theory]
    [InlineData("RequestTimeTooSkewed", null, true)]
    [InlineData("RequestExpired", 0, true)]
    [InlineData("RequestInTheFuture", 0, true)]
    [InlineData("InvalidSignatureException", 241, true)]
    [InlineData("SignatureDoesNotMatch", -241, true)]
    [InlineData("AuthFailure", 600, true)]
    [InlineData("SignatureDoesNotMatch", 240, false)]
    [InlineData("SignatureDoesNotMatch", -240, false)]
    [InlineData("InvalidSignatureException", null, false)]
    [InlineData("Throttling", 600, false)]
    [InlineData(null, 600, false)]
    public void IsClockSkew_CodeAndMeasuredSkew_Classifies(string? code, int? skewSeconds, bool expected)
    {
        TimeSpan? skew = skewSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null;

        Assert.Equal(expected, AwsErrorCodes.IsClockSkew(code, skew));
    }

    [Fact]
    public void SkewThreshold_IsBelowSigV4sFiveMinuteWindow()
    {
        Assert.Equal(TimeSpan.FromMinutes(4), AwsErrorCodes.SkewThreshold);
    }
}

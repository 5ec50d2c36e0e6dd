using Amazon.Runtime;
using Fanout.AwsShims.Signing;

namespace Fanout.Functions.Common.Logging;

/// <summary>What a log line or a failure record may say about an exception. An AWS service's error message may
/// quote the request back (SES names the address it refused, SNS the phone number), so for an AWS error only its
/// error code and HTTP status are kept; the messages of Fanout's own exceptions are written to carry ids and
/// reasons, never personal data, and are kept whole.</summary>
public static class ErrorText
{
    /// <summary>For an AWS error, <c>&lt;ErrorCode&gt; (HTTP &lt;status&gt;)</c>, e.g.
    /// <c>ThrottlingException (HTTP 400)</c>; for any other exception, its message.</summary>
    public static string Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            AwsServiceException { ErrorCode.Length: > 0 } aws => $"{aws.ErrorCode} (HTTP {(int)aws.StatusCode})",
            AmazonServiceException sdk => $"{(string.IsNullOrEmpty(sdk.ErrorCode) ? sdk.GetType().Name : sdk.ErrorCode)} (HTTP {(int)sdk.StatusCode})",
            _ => exception.Message,
        };
    }
}

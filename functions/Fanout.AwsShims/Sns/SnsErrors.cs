using Fanout.AwsShims.Signing;

namespace Fanout.AwsShims.Sns;

/// <summary>Which SNS <c>Publish</c> error codes can never succeed for the same request, following the errors the
/// SNS API Reference lists for Publish. Everything else (AuthorizationError, the KMS* codes, InternalError,
/// throttling, unknown codes) is transient: a fix in the account or time can make the same message succeed.</summary>
public static class SnsErrors
{
    // Compared after AwsErrorCodes.Normalize, so "ValidationException" and "Validation" both match.
    private static readonly HashSet<string> _permanentPublish = new(StringComparer.Ordinal)
    {
        // The request itself is invalid: a malformed or unsupported phone number, a message too long, bad attributes.
        "InvalidParameter",
        "InvalidParameterValue",
        "Validation",
        // The destination refuses: the recipient opted out of SMS from this account, or the endpoint is disabled.
        "OptedOut",
        "EndpointDisabled",
    };

    /// <summary>True when SNS refused a <c>Publish</c> for a reason retrying cannot fix.</summary>
    public static bool IsPermanentPublishError(string? code) =>
        code is not null && _permanentPublish.Contains(AwsErrorCodes.Normalize(code));
}

using Fanout.AwsShims.Signing;

namespace Fanout.AwsShims.Ses;

/// <summary>Which SES v2 <c>SendEmail</c> error codes can never succeed for the same request, following the errors
/// the SES v2 API Reference lists for SendEmail. Transient, on purpose: <c>TooManyRequestsException</c> (retried by
/// the client), <c>LimitExceededException</c> (a quota that refills), <c>SendingPausedException</c> (sending can be
/// resumed), <c>NotFoundException</c> (configuration that a deploy can create) and anything unknown.</summary>
public static class SesErrors
{
    // Compared after AwsErrorCodes.Normalize, so "MailFromDomainNotVerified" and "...Exception" both match.
    private static readonly HashSet<string> _permanentSend = new(StringComparer.Ordinal)
    {
        // The content or an address is refused, including a recipient or sender identity that is not verified.
        "MessageRejected",
        "MailFromDomainNotVerified",
        // The account's sending is permanently restricted.
        "AccountSuspended",
        // The request is invalid (e.g. a malformed address).
        "BadRequest",
        "Validation",
        "InvalidParameterValue",
    };

    /// <summary>True when SES refused a <c>SendEmail</c> for a reason retrying cannot fix.</summary>
    public static bool IsPermanentSendError(string? code) =>
        code is not null && _permanentSend.Contains(AwsErrorCodes.Normalize(code));
}

using System.Net;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;

namespace Fanout.AwsShims.Signing;

/// <summary>Reads the error code of an AWS error answer and sorts the codes a retry can fix. Codes are compared
/// without a trailing <c>Exception</c>, because one service spells the same error both ways across its protocol
/// versions (<c>MailFromDomainNotVerified</c> in SES v1, <c>MailFromDomainNotVerifiedException</c> in v2).</summary>
public static class AwsErrorCodes
{
    /// <summary>Measured skew beyond which a signature refusal is blamed on the clock. SigV4 accepts a request
    /// signed up to 5 minutes off AWS's time ("Signature expired"); 4 leaves a margin for the 1-second Date header.</summary>
    public static readonly TimeSpan SkewThreshold = TimeSpan.FromMinutes(4);

    // The AWS SDKs' "standard" retry mode list of throttling codes, plus SNS's Throttled and KMSThrottling.
    private static readonly HashSet<string> _throttling = new(StringComparer.Ordinal)
    {
        "Throttling", "Throttled", "TooManyRequests", "RequestThrottled", "RequestLimitExceeded", "SlowDown",
        "ProvisionedThroughputExceeded", "KMSThrottling", "PriorRequestNotComplete", "BandwidthLimitExceeded",
    };

    // The request time is outside AWS's window: nothing was done, and re-signing with AWS's time fixes it.
    private static readonly HashSet<string> _clockSkew = new(StringComparer.Ordinal)
    {
        "RequestTimeTooSkewed", "RequestExpired", "RequestInTheFuture",
    };

    // Signature refusals that a skewed clock also causes ("Signature expired"); blamed on the clock only when
    // the answer's Date shows the skew, so a real signing bug is not retried.
    private static readonly HashSet<string> _signature = new(StringComparer.Ordinal)
    {
        "InvalidSignature", "SignatureDoesNotMatch", "AuthFailure",
    };

    /// <summary>The code without a trailing <c>Exception</c> (<c>ValidationException</c> → <c>Validation</c>).</summary>
    public static string Normalize(string code)
    {
        ArgumentNullException.ThrowIfNull(code);
        return code.EndsWith("Exception", StringComparison.Ordinal) ? code[..^"Exception".Length] : code;
    }

    /// <summary>The error code of an answer, or null when it has none: the <c>x-amzn-ErrorType</c> header (JSON
    /// and REST-JSON protocols, e.g. SES v2), else the body's <c>&lt;Error&gt;&lt;Code&gt;</c> (Query protocol, e.g.
    /// SNS), else its JSON <c>__type</c> or <c>code</c>. Namespace prefixes (<c>aws#</c>) and the <c>:http://...</c>
    /// tail AWS appends to the header are removed.</summary>
    public static string? Read(string? errorTypeHeader, string body)
    {
        var fromHeader = Clean(errorTypeHeader);
        if (fromHeader is not null)
        {
            return fromHeader;
        }

        var trimmed = (body ?? "").TrimStart();
        if (trimmed.StartsWith('<'))
        {
            return Clean(FromXml(trimmed));
        }

        return trimmed.StartsWith('{') ? Clean(FromJson(trimmed)) : null;
    }

    /// <summary>True for a refusal because of the request rate: HTTP 429, or a throttling code in any status.</summary>
    public static bool IsThrottling(string? code, HttpStatusCode status) =>
        status == HttpStatusCode.TooManyRequests || (code is not null && _throttling.Contains(Normalize(code)));

    /// <summary>True when the request was refused for its signing time. <paramref name="skew"/> is AWS's time
    /// (the answer's <c>Date</c>) minus the time the request was signed with; null when the answer had no Date.</summary>
    public static bool IsClockSkew(string? code, TimeSpan? skew)
    {
        if (code is null)
        {
            return false;
        }

        var normalized = Normalize(code);
        return _clockSkew.Contains(normalized)
            || (_signature.Contains(normalized) && skew is { } measured && measured.Duration() > SkewThreshold);
    }

    private static string? FromXml(string body)
    {
        try
        {
            var error = XElement.Parse(body).DescendantsAndSelf().FirstOrDefault(e => e.Name.LocalName == "Error");
            return error?.Elements().FirstOrDefault(e => e.Name.LocalName == "Code")?.Value;
        }
        catch (XmlException)
        {
            return null;
        }
    }

    private static string? FromJson(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            foreach (var name in (ReadOnlySpan<string>)["__type", "code", "Code"])
            {
                if (document.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String)
                {
                    return value.GetString();
                }
            }

            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Clean(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw))
        {
            return null;
        }

        var code = raw.Trim();
        var colon = code.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            code = code[..colon];
        }

        var hash = code.LastIndexOf('#');
        if (hash >= 0)
        {
            code = code[(hash + 1)..];
        }

        return code.Length == 0 ? null : code;
    }
}

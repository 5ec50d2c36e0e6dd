using System.Text;
using System.Xml;
using System.Xml.Linq;
using Fanout.AwsShims.Signing;

namespace Fanout.Cli.Targeting;

/// <summary>The AWS Query protocol (form-encoded POST, XML answer) for the two read-only calls the CLI makes
/// without an SDK package: CloudFormation DescribeStacks and CloudWatch GetMetricStatistics.</summary>
internal static class AwsQuery
{
    public const string FormContentType = "application/x-www-form-urlencoded; charset=utf-8";

    public static byte[] Form(params (string Name, string Value)[] fields) =>
        Encoding.UTF8.GetBytes(string.Join("&", fields.Select(f => Uri.EscapeDataString(f.Name) + "=" + Uri.EscapeDataString(f.Value))));

    /// <summary>Sends a signed Query call; throws <see cref="AwsServiceException"/> with the service's error code.</summary>
    public static async Task<XElement> CallAsync(SignedAwsHttpClient caller, string service, byte[] form, CancellationToken cancellationToken)
    {
        var result = await caller.SendAsync(HttpMethod.Post, "/", FormContentType, form, CallIdempotency.Idempotent, cancellationToken);
        var document = TryParse(result.Body);
        if (!result.IsSuccess)
        {
            var (code, message) = document is null ? ("Unknown", Shorten(result.Body)) : ErrorOf(document);
            throw new AwsServiceException(service, code, message, result.StatusCode);
        }

        return document ?? throw new AwsServiceException($"{service} answered {(int)result.StatusCode} with a body that is not XML.");
    }

    /// <summary>The code and message of a Query error document (<c>&lt;ErrorResponse&gt;&lt;Error&gt;</c>).</summary>
    public static (string Code, string Message) ErrorOf(XElement document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var error = document.DescendantsAndSelf().FirstOrDefault(e => e.Name.LocalName == "Error");
        return (Child(error, "Code") ?? "Unknown", Child(error, "Message") ?? "");
    }

    public static XElement? TryParse(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            return XElement.Parse(body);
        }
        catch (XmlException)
        {
            return null;
        }
    }

    // Local names: answers come with the service's namespace on AWS and sometimes without it elsewhere.
    public static string? Child(XElement? parent, string localName) =>
        parent?.Elements().FirstOrDefault(e => e.Name.LocalName == localName)?.Value;

    public static IEnumerable<XElement> Children(XElement? parent, string localName) =>
        parent?.Elements().Where(e => e.Name.LocalName == localName) ?? [];

    private static string Shorten(string body) => body.Length > 200 ? body[..200] + "…" : body;
}

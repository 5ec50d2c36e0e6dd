using System.Net;

namespace Fanout.AwsShims.Runtime;

/// <summary>The Runtime API refused an invocation's response, e.g. <c>413 Request Entity Too Large</c> when
/// the payload exceeds Lambda's 6 MB synchronous response limit (Lambda quotas, "Invocation payload").</summary>
public sealed class LambdaResponseRejectedException : Exception
{
    public LambdaResponseRejectedException()
    {
    }

    public LambdaResponseRejectedException(string message)
        : base(message)
    {
    }

    public LambdaResponseRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <param name="statusCode">The Runtime API's answer to <c>POST /runtime/invocation/{id}/response</c>.</param>
    /// <param name="responseBytes">The size of the refused response body, in bytes.</param>
    /// <param name="innerException">The HTTP failure.</param>
    public LambdaResponseRejectedException(HttpStatusCode? statusCode, int responseBytes, Exception innerException)
        : base($"The Runtime API refused the {responseBytes}-byte response ({Describe(statusCode)}).", innerException)
    {
        StatusCode = statusCode;
    }

    /// <summary>The status the Runtime API answered, or null when no answer arrived (connection failure).</summary>
    public HttpStatusCode? StatusCode { get; }

    private static string Describe(HttpStatusCode? statusCode) =>
        statusCode is { } code ? $"{(int)code} {code}" : "no HTTP answer";
}

/// <summary>A handler completed without producing a response body (returned null).</summary>
public sealed class LambdaHandlerReturnedNullException : Exception
{
    public LambdaHandlerReturnedNullException()
        : base("The handler returned null instead of a response body.")
    {
    }

    public LambdaHandlerReturnedNullException(string message)
        : base(message)
    {
    }

    public LambdaHandlerReturnedNullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

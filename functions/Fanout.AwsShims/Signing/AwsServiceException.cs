using System.Net;

namespace Fanout.AwsShims.Signing;

/// <summary>An error response from an AWS service, with its error code.</summary>
public sealed class AwsServiceException : Exception
{
    public AwsServiceException()
    {
    }

    public AwsServiceException(string message)
        : base(message)
    {
    }

    public AwsServiceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public AwsServiceException(string service, string errorCode, string errorMessage, HttpStatusCode statusCode)
        : base($"{service} answered {(int)statusCode} {errorCode}: {errorMessage}")
    {
        ErrorCode = errorCode;
        StatusCode = statusCode;
    }

    public string ErrorCode { get; } = "";

    public HttpStatusCode StatusCode { get; }
}

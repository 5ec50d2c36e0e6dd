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

    /// <summary>True for a 5xx answer, which AWS documents as "the request may or may not have been processed";
    /// a 4xx answer proves it was refused before any effect.</summary>
    public bool MayHaveBeenProcessed => (int)StatusCode >= 500;
}

namespace Fanout.AwsShims.Signing;

/// <summary>A call that got no answer from AWS: the connection failed, was lost, or timed out. Always transient:
/// the message that caused the call should be tried again later, never dropped as poison.</summary>
public sealed class AwsTransportException : Exception
{
    public AwsTransportException()
    {
    }

    public AwsTransportException(string message)
        : base(message)
    {
    }

    public AwsTransportException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public AwsTransportException(string service, bool mayHaveReachedService, Exception innerException)
        : base(
            mayHaveReachedService
                ? $"{service}: no answer (timeout or lost connection); the request may have reached AWS."
                : $"{service}: the request could not be sent (name resolution or connection failed).",
            innerException)
    {
        MayHaveReachedService = mayHaveReachedService;
    }

    /// <summary>True when the request may have been received and acted on (a timeout, a connection lost after
    /// sending); false when it provably never left this machine (DNS failure, connection refused).</summary>
    public bool MayHaveReachedService { get; }
}

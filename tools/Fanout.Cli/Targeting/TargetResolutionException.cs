namespace Fanout.Cli.Targeting;

/// <summary>Nothing (or not enough) says where to talk to; the message tells the operator what to pass.</summary>
public sealed class TargetResolutionException : Exception
{
    public TargetResolutionException()
    {
    }

    public TargetResolutionException(string message)
        : base(message)
    {
    }

    public TargetResolutionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

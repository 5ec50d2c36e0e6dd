namespace Fanout.Cli.Commands;

/// <summary>What `fanout` exits with, so scripts can tell "the thing failed" from "I could not even ask".</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The operation ran and its answer is a failure: order not found, orders not accepted, messages not moved.</summary>
    public const int Failed = 1;

    /// <summary>Bad input, or nothing says where to talk to.</summary>
    public const int Usage = 2;

    /// <summary>The API or AWS could not be reached, or answered with an error.</summary>
    public const int Unavailable = 3;

    /// <summary>Sign-in was refused, or the API answered 401 (no token, or an expired or invalid one).</summary>
    public const int NotSignedIn = 4;

    /// <summary>Ctrl-C (128 + SIGINT, as shells report it).</summary>
    public const int Cancelled = 130;
}

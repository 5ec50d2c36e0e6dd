using System.Diagnostics;
using Amazon.Runtime;
using Fanout.AwsShims.Signing;
using Fanout.Cli.Local;
using Fanout.Harness;
using Fanout.Harness.Emulators;

namespace Fanout.Cli.Targeting;

/// <summary>Finds the running <c>fanout up</c>, if any.</summary>
internal interface ILocalUpSource
{
    /// <summary>The state of a <c>fanout up</c> whose process is alive, or null.</summary>
    LocalState? TryGetRunning();
}

/// <summary>Reads <c>.local/fanout-up.json</c> under the repository root. A file whose process is gone is a leftover
/// of a crashed run (the normal exit removes it), so it counts as "nothing running".</summary>
internal sealed class LocalUpStateFile : ILocalUpSource
{
    private readonly string? _path;

    public LocalUpStateFile(string? path)
    {
        _path = path;
    }

    /// <summary>The state file of the repository this command runs in, or of none when outside any.</summary>
    public static LocalUpStateFile ForCurrentRepository()
    {
        try
        {
            return new LocalUpStateFile(LocalState.DefaultPath(RepositoryLayout.FindRoot()));
        }
        catch (InvalidOperationException)
        {
            return new LocalUpStateFile(null);
        }
    }

    public LocalState? TryGetRunning()
    {
        if (_path is null)
        {
            return null;
        }

        var state = LocalState.TryRead(_path);
        return state is not null && IsAlive(state.Pid) ? state : null;
    }

    /// <summary>The emulators of a running <c>fanout up</c>. The embedded ones have a fixed, fake key pair written in
    /// the state file; with <c>--emulators external</c> the file holds no secret key, so the key pair comes from the
    /// SDK's default credential chain (environment variables, then the shared profile), as it did for
    /// <c>fanout up</c> itself.</summary>
    /// <param name="credentials">The chain to ask when the file holds no secret; defaults to the SDK's.</param>
    /// <exception cref="TargetResolutionException">A field is missing, or no credentials were found.</exception>
    public static AwsTarget ToAwsTarget(LocalState state, Func<AWSCredentials>? credentials = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        var sqs = Endpoint(state.SqsEndpoint, "sqsEndpoint");
        var sns = Endpoint(state.SnsEndpoint, "snsEndpoint");
        var dynamo = Endpoint(state.DynamoDbEndpoint, "dynamoDbEndpoint");
        var region = string.IsNullOrWhiteSpace(state.Region) ? throw Incomplete("region") : state.Region;
        if (state.SecretAccessKey is { } secret)
        {
            return new AwsTarget(sqs, sns, dynamo, region, state.AccessKeyId, secret);
        }

        // Only the key pair travels: the endpoints are emulators, which check no session token.
        var pair = ChainKeyPair(credentials ?? SignedAwsHttpClient.DefaultCredentials);
        return new AwsTarget(sqs, sns, dynamo, region, pair.AccessKey, pair.SecretKey);
    }

    private static ImmutableCredentials ChainKeyPair(Func<AWSCredentials> credentials)
    {
        try
        {
            return credentials().GetCredentials();
        }
        catch (AmazonClientException ex)
        {
            throw new TargetResolutionException(
                $"The running `fanout up` uses external endpoints and keeps no secret key; none was found in the environment or the AWS profile either ({ex.Message}). Set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE as for `fanout up`.",
                ex);
        }
    }

    private static Uri Endpoint(string value, string field) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) ? uri : throw Incomplete(field);

    private static TargetResolutionException Incomplete(string field) =>
        new($"The running `fanout up` wrote a state file without a valid '{field}'; restart `fanout up`.");

    private static bool IsAlive(int pid)
    {
        if (pid <= 0)
        {
            return false;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}

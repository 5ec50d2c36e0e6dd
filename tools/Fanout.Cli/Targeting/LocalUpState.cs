using System.Diagnostics;
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

    public static AwsTarget ToAwsTarget(LocalState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new AwsTarget(
            Endpoint(state.SqsEndpoint, "sqsEndpoint"),
            Endpoint(state.SnsEndpoint, "snsEndpoint"),
            Endpoint(state.DynamoDbEndpoint, "dynamoDbEndpoint"),
            string.IsNullOrWhiteSpace(state.Region) ? throw Incomplete("region") : state.Region,
            state.AccessKeyId,
            state.SecretAccessKey ?? throw Incomplete("secretAccessKey"));
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

namespace Fanout.Harness.Emulators;

/// <summary>The default emulators, no Docker needed: fauxqs for SNS + SQS and AWS's DynamoDB Local, each on
/// a free loopback port, installed by <c>scripts/install-deps.sh</c> from the committed npm lockfile.</summary>
public sealed class EmbeddedEmulators : IEmulatorSet
{
    private readonly EmulatorProcess _fauxqs;
    private readonly EmulatorProcess _dynamo;

    private EmbeddedEmulators(EmulatorProcess fauxqs, EmulatorProcess dynamo, string region)
    {
        _fauxqs = fauxqs;
        _dynamo = dynamo;
        // DynamoDB Local accepts only letters and digits in access key ids.
        var messaging = new Uri($"http://127.0.0.1:{fauxqs.Port}");
        Target = new AwsTarget(messaging, messaging, new Uri($"http://127.0.0.1:{dynamo.Port}"), region, "fanoutlocal", "fanoutlocalsecret");
    }

    public string Description => $"embedded emulators: fauxqs on 127.0.0.1:{_fauxqs.Port} (pid {_fauxqs.ProcessId}), DynamoDB Local on 127.0.0.1:{_dynamo.Port} (pid {_dynamo.ProcessId})";

    public AwsTarget Target { get; }

    public IReadOnlyList<int> ProcessIds => [_fauxqs.ProcessId, _dynamo.ProcessId];

    /// <summary>The process serving SNS and SQS (fauxqs runs inside its Node launcher), for <see cref="ProcessPause"/>.</summary>
    public int MessagingProcessId => _fauxqs.ProcessId;

    public static async Task<EmbeddedEmulators> StartAsync(string repoRoot, string region, CancellationToken cancellationToken)
    {
        CheckInstalled(repoRoot);
        var fauxqsTask = EmulatorProcess.StartAsync(repoRoot, "fauxqs.mjs", "fauxqs", TimeSpan.FromSeconds(30), cancellationToken);
        var dynamoTask = EmulatorProcess.StartAsync(repoRoot, "dynamodb-local.mjs", "DynamoDB Local", TimeSpan.FromSeconds(45), cancellationToken);
        try
        {
            await Task.WhenAll(fauxqsTask, dynamoTask);
        }
        catch
        {
            // Never leave the one that did start running.
            foreach (var task in new[] { fauxqsTask, dynamoTask })
            {
                if (task.IsCompletedSuccessfully)
                {
                    await task.Result.DisposeAsync();
                }
            }

            throw;
        }

        return new EmbeddedEmulators(fauxqsTask.Result, dynamoTask.Result, region);
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_fauxqs.DisposeAsync().AsTask(), _dynamo.DisposeAsync().AsTask());
    }

    private static void CheckInstalled(string repoRoot)
    {
        foreach (var package in new[] { "fauxqs", "amplify-dynamodb-simulator" })
        {
            if (!Directory.Exists(Path.Combine(repoRoot, "node_modules", package)))
            {
                throw new InvalidOperationException($"The npm package '{package}' is not installed; run scripts/install-deps.sh first.");
            }
        }
    }
}

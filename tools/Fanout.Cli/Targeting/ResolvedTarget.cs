using Amazon;
using Amazon.DynamoDBv2;
using Amazon.SQS;
using Fanout.Harness.Emulators;

namespace Fanout.Cli.Targeting;

/// <summary>Where the answer came from, most specific first.</summary>
internal enum TargetSource
{
    /// <summary>Explicit options only; the AWS SDK's own environment decides endpoints and credentials.</summary>
    Options,

    /// <summary>A deployed stack's CloudFormation outputs; the SDK's normal credential chain.</summary>
    Stack,

    /// <summary>The state file of a running <c>fanout up</c>; its emulator endpoints.</summary>
    LocalUp,

    /// <summary>Nothing was given or running: the default local API address.</summary>
    Default,
}

/// <summary>A consumer's queue and dead-letter queue.</summary>
internal sealed record QueuePair(string Service, string QueueUrl, string DeadLetterQueueUrl);

/// <summary>Everything a command talks to, resolved.</summary>
internal sealed record ResolvedTarget
{
    public required TargetSource Source { get; init; }

    /// <summary>For humans, e.g. "stack fanout-prod (eu-west-1)"; never holds credentials.</summary>
    public required string Description { get; init; }

    public Uri? ApiUrl { get; init; }

    public string? Region { get; init; }

    public string? StackName { get; init; }

    public IReadOnlyList<QueuePair> Queues { get; init; } = [];

    public string? TableName { get; init; }

    /// <summary>The emulators of a running <c>fanout up</c>, when they are the AWS side of this target.</summary>
    public AwsTarget? LocalEndpoints { get; init; }

    public Uri RequireApiUrl() => ApiUrl ?? throw new TargetResolutionException("No API URL resolved.");

    public QueuePair RequireQueues(string service) =>
        Queues.FirstOrDefault(q => q.Service == service) ?? throw new TargetResolutionException($"No queues resolved for service '{service}'.");

    public string RequireTable() => TableName ?? throw new TargetResolutionException("No table resolved.");

    /// <summary>Points this process's AWS SDK clients at the target. Against a running <c>fanout up</c> that means
    /// its emulators (through the SDK's standard endpoint variables, as the functions themselves do); otherwise the
    /// SDK's own chain for endpoints and credentials, with the resolved region.</summary>
    public AwsClients CreateAwsClients()
    {
        LocalEndpoints?.ApplyToProcess();
        var region = LocalEndpoints is null && Region is not null ? RegionEndpoint.GetBySystemName(Region) : null;
        return new AwsClients(region);
    }
}

/// <summary>Creates SDK clients lazily, so a command that needs only SQS never builds a DynamoDB client.</summary>
internal sealed class AwsClients : IDisposable
{
    private readonly RegionEndpoint? _region;
    private AmazonSQSClient? _sqs;
    private AmazonDynamoDBClient? _dynamo;

    public AwsClients(RegionEndpoint? region)
    {
        _region = region;
    }

    public IAmazonSQS Sqs => _sqs ??= _region is null ? new AmazonSQSClient() : new AmazonSQSClient(_region);

    public IAmazonDynamoDB DynamoDb => _dynamo ??= _region is null ? new AmazonDynamoDBClient() : new AmazonDynamoDBClient(_region);

    public void Dispose()
    {
        _sqs?.Dispose();
        _dynamo?.Dispose();
    }
}

using System.Text.Json;
using Amazon.CDK;
using Amazon.CDK.AWS.DynamoDB;
using Amazon.CDK.AWS.KMS;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.SNS;
using Amazon.CDK.AWS.SQS;
using Constructs;
using Fanout.Contracts.Topology;

namespace Fanout.Infra.Constructs;

public sealed class OutboxRelayServiceProps
{
    /// <summary>The relay's function; <see cref="FanoutTopology.OutboxRelay"/> unless a test passes its own.</summary>
    public required FunctionSpec Spec { get; init; }

    /// <summary>The order service's table, with its stream enabled (<see cref="ServiceTableProps.Outbox"/>).</summary>
    public required ITable Table { get; init; }

    public required ITopic OrderEvents { get; init; }

    public required IKey Key { get; init; }

    public required StackSettings Settings { get; init; }
}

/// <summary>The outbox relay: the OutboxRelay function, fed by an event source mapping on the orders table's stream
/// that passes only new <see cref="OutboxSpec.KeyPrefix"/> items (AWS Lambda Developer Guide, "Using AWS Lambda with
/// Amazon DynamoDB" and "Lambda event filtering"), and the SQS queue that mapping sends the batches it gave up on.
/// The relay publishes an entry only while it is still pending, so in the normal case (the intake already
/// published and deleted it) a record costs one consistent read and no publish.</summary>
public sealed class OutboxRelayService : Construct
{
    /// <summary>The stream actions Lambda's poller performs with the function's role (Amazon DynamoDB Developer Guide,
    /// "IAM policy to allow an AWS Lambda function to access DynamoDB stream records").</summary>
    internal static readonly string[] StreamReadActions = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"];

    public OutboxRelayService(Construct scope, string id, OutboxRelayServiceProps props)
        : base(scope, id)
    {
        ArgumentNullException.ThrowIfNull(props);
        ArgumentNullException.ThrowIfNull(props.Spec);
        ArgumentNullException.ThrowIfNull(props.Table);
        ArgumentNullException.ThrowIfNull(props.Key);
        var streamArn = props.Table.TableStreamArn
            ?? throw new TopologyException($"Function '{props.Spec.Name}' relays the outbox, but table '{props.Spec.Table.Id}' has no stream.");

        Function = new FanoutFunction(this, "Function", new FanoutFunctionProps
        {
            Spec = props.Spec,
            ServiceName = props.Spec.Service
                ?? throw new TopologyException($"Function '{props.Spec.Name}' is no consumer, so its spec must name its Service."),
            Table = props.Table,
            OrderEvents = props.OrderEvents,
            Key = props.Key,
            Settings = props.Settings,
            TableGrants = TableItemScopes.For(props.Spec),
        });

        // What the mapping sends here is the failed batch's description (shard, first and last sequence number,
        // the error), not the records: the stream keeps them 24 hours, and the reconciler republishes whatever an
        // order still owes after its threshold. Kept as long as SQS allows, to investigate.
        FailureQueue = new Queue(this, "FailureQueue", new QueueProps
        {
            QueueName = OutboxSpec.RelayFailureQueueName,
            Encryption = QueueEncryption.KMS,
            EncryptionMasterKey = props.Key,
            EnforceSSL = true,
            RetentionPeriod = Duration.Days(FailureRetentionDays),
        });

        Function.Allow("ReadOrdersStream", StreamReadActions, [streamArn]);
        // The on-failure destination is sent with the function's role; the queue is encrypted, which the
        // publisher's kms:GenerateDataKey on the same key already covers.
        Function.Allow("SendGivenUpBatchesToFailureQueue", ["sqs:SendMessage"], [FailureQueue.QueueArn]);

        Mapping = Function.Function.AddEventSourceMapping("Stream", new EventSourceMappingOptions
        {
            EventSourceArn = streamArn,
            // TRIM_HORIZON, not LATEST: a mapping created (or re-created) after entries were written still relays
            // them. Re-reading up to 24 hours of records is harmless: the relay publishes only entries that are
            // still pending, and event ids are deterministic, so consumers deduplicate anything published twice.
            StartingPosition = StartingPosition.TRIM_HORIZON,
            BatchSize = OutboxSpec.RelayBatchSize,
            BisectBatchOnError = true,
            ReportBatchItemFailures = true,
            RetryAttempts = OutboxSpec.RelayMaximumRetryAttempts,
            MaxRecordAge = Duration.Seconds(OutboxSpec.RelayMaximumRecordAgeSeconds),
            // Filtered-out records (every order update) invoke nothing and cost nothing.
            Filters = [new Dictionary<string, object> { ["pattern"] = FilterPattern }],
        });
        // Written on the L1 resource: CDK's SqsDlq destination grants the role sqs:* and kms:* action wildcards on
        // the queue and key, more than sending needs.
        var cfnMapping = (CfnEventSourceMapping)Mapping.Node.DefaultChild!;
        cfnMapping.DestinationConfig = new CfnEventSourceMapping.DestinationConfigProperty
        {
            OnFailure = new CfnEventSourceMapping.OnFailureProperty { Destination = FailureQueue.QueueArn },
        };
        // CloudFormation checks the role can read the stream when it creates the mapping.
        Mapping.Node.AddDependency(Function.Role);
    }

    /// <summary>How long the failure queue keeps a message, in days (SQS's maximum).</summary>
    public const int FailureRetentionDays = 14;

    /// <summary>The event filter (Lambda event filtering on the DynamoDB stream record): inserts of items whose
    /// partition key starts with one of <see cref="OutboxSpec.RelayedKeyPrefixes"/>, i.e.
    /// <c>{"eventName":["INSERT"],"dynamodb":{"Keys":{"pk":{"S":[{"prefix":"OUTBOX#"},{"prefix":"ORDER#"}]}}}}</c>.</summary>
    public static string FilterPattern { get; } = JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["eventName"] = new[] { "INSERT" },
        ["dynamodb"] = new Dictionary<string, object>
        {
            ["Keys"] = new Dictionary<string, object>
            {
                [FanoutTopology.PartitionKey] = new Dictionary<string, object>
                {
                    ["S"] = OutboxSpec.RelayedKeyPrefixes.Select(prefix => new Dictionary<string, string> { ["prefix"] = prefix }).ToArray(),
                },
            },
        },
    });

    public FanoutFunction Function { get; }

    public Queue FailureQueue { get; }

    public EventSourceMapping Mapping { get; }
}

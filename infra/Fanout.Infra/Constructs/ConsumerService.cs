using System.Globalization;
using Amazon.CDK;
using Amazon.CDK.AWS.DynamoDB;
using Amazon.CDK.AWS.KMS;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.SNS;
using Constructs;
using Fanout.Contracts.Configuration;
using Fanout.Contracts.Topology;

namespace Fanout.Infra.Constructs;

public sealed class ConsumerServiceProps
{
    public required ConsumerSpec Consumer { get; init; }

    public required ConsumerQueue Queues { get; init; }

    public required ITable Table { get; init; }

    public required ITopic OrderEvents { get; init; }

    public required IKey Key { get; init; }

    public required StackSettings Settings { get; init; }

    /// <summary>The statements granting the function's table operations; see <see cref="FanoutFunctionProps.TableGrants"/>.</summary>
    public IReadOnlyList<TableGrant>? TableGrants { get; init; }
}

/// <summary>A consuming service: its function, draining its own queue through an event source mapping that
/// reports partial batch failures, so one bad message is retried (and dead-lettered) alone.</summary>
public sealed class ConsumerService : Construct
{
    public ConsumerService(Construct scope, string id, ConsumerServiceProps props)
        : base(scope, id)
    {
        ArgumentNullException.ThrowIfNull(props);
        ArgumentNullException.ThrowIfNull(props.Consumer);
        ArgumentNullException.ThrowIfNull(props.Queues);
        var consumer = props.Consumer;
        Consumer = consumer;
        Queues = props.Queues;

        Function = new FanoutFunction(this, "Function", new FanoutFunctionProps
        {
            Spec = consumer.Function,
            ServiceName = consumer.Service,
            Table = props.Table,
            OrderEvents = props.OrderEvents,
            Key = props.Key,
            Settings = props.Settings,
            ExtraEnvironment = new Dictionary<string, string>
            {
                // Idempotency records must outlive the longest a message can live (queue, DLQ, then a redrive),
                // so a duplicate redriven on its last day is still recognised as handled (Validate checks it).
                [SettingNames.IdempotencyTtlDays] = Invariant(FanoutTopology.IdempotencyRetentionDays),
                [SettingNames.RetryBackoffBaseSeconds] = Invariant(consumer.RetryBackoffBaseSeconds),
                [SettingNames.RetryBackoffCapSeconds] = Invariant(consumer.RetryBackoffCapSeconds),
            },
            TableGrants = props.TableGrants,
        });

        // What the event source mapping does with the function's role, on this queue only; the messages are
        // encrypted, so reading them needs the key too.
        Function.Allow(
            "ConsumeOwnQueue",
            ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
            [Queues.Queue.QueueArn]);
        // The function's own retry backoff: it pushes a transiently failed record's next delivery out with
        // ChangeMessageVisibilityBatch (authorised as sqs:ChangeMessageVisibility) before reporting it failed.
        // Only its own queue: another consumer's messages are not its to delay.
        Function.Allow("DelayRetriesOnOwnQueue", ["sqs:ChangeMessageVisibility"], [Queues.Queue.QueueArn]);
        Function.Allow("DecryptOwnQueue", ["kms:Decrypt"], [props.Key.KeyArn]);

        EventSource = Function.Function.AddEventSourceMapping("Queue", new EventSourceMappingOptions
        {
            EventSourceArn = Queues.Queue.QueueArn,
            BatchSize = consumer.BatchSize,
            MaxBatchingWindow = Duration.Seconds(consumer.MaxBatchingWindowSeconds),
            ReportBatchItemFailures = true,
            MaxConcurrency = consumer.MaxConcurrency,
        });
        // CloudFormation checks the role can read the queue when it creates the mapping, so the policy must exist first.
        EventSource.Node.AddDependency(Function.Role);
    }

    public ConsumerSpec Consumer { get; }

    public ConsumerQueue Queues { get; }

    public FanoutFunction Function { get; }

    public EventSourceMapping EventSource { get; }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}

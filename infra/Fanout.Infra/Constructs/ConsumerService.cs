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
                // Idempotency records must outlive the DLQ's retention, so a message redriven on its last day
                // is still recognised as handled.
                [SettingNames.IdempotencyTtlDays] = (consumer.DlqRetentionDays + 1).ToString(CultureInfo.InvariantCulture),
            },
        });

        // What the event source mapping does with the function's role, on this queue only; the messages are
        // encrypted, so reading them needs the key too.
        Function.Allow(
            "ConsumeOwnQueue",
            ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
            [Queues.Queue.QueueArn]);
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
}

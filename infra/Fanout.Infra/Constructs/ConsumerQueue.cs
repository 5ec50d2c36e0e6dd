using System.Text.Json;
using Amazon.CDK;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.KMS;
using Amazon.CDK.AWS.SNS;
using Amazon.CDK.AWS.SQS;
using Constructs;
using Fanout.Contracts.Topology;

namespace Fanout.Infra.Constructs;

public sealed class ConsumerQueueProps
{
    public required ConsumerSpec Consumer { get; init; }

    public required ITopic Topic { get; init; }

    public required IKey Key { get; init; }
}

/// <summary>One consumer's side of the fan-out: its queue, the queue's dead-letter queue, and the filtered
/// subscription to the topic with its own dead-letter queue for messages SNS cannot deliver.
/// SNS also needs the key to write into the encrypted queues: see <see cref="MessagingKey.AllowSnsDelivery"/>.</summary>
public sealed class ConsumerQueue : Construct
{
    public ConsumerQueue(Construct scope, string id, ConsumerQueueProps props)
        : base(scope, id)
    {
        ArgumentNullException.ThrowIfNull(props);
        ArgumentNullException.ThrowIfNull(props.Consumer);
        ArgumentNullException.ThrowIfNull(props.Topic);
        ArgumentNullException.ThrowIfNull(props.Key);
        var consumer = props.Consumer;

        // Messages land here after maxReceiveCount failed attempts; kept long enough to investigate and redrive.
        DeadLetterQueue = EncryptedQueue("DeadLetterQueue", consumer.DeadLetterQueueName, props.Key, consumer.DlqRetentionDays);

        Queue = new Queue(this, "Queue", new QueueProps
        {
            QueueName = consumer.QueueName,
            Encryption = QueueEncryption.KMS,
            EncryptionMasterKey = props.Key,
            EnforceSSL = true,
            VisibilityTimeout = Duration.Seconds(consumer.VisibilityTimeoutSeconds),
            // SQS's default is 4 days; a consumer whose dependency is down for longer would silently lose orders.
            RetentionPeriod = Duration.Days(consumer.MessageRetentionDays),
            DeadLetterQueue = new DeadLetterQueue { Queue = DeadLetterQueue, MaxReceiveCount = consumer.MaxReceiveCount },
        });

        // SNS parks here what it could not deliver to the queue (e.g. the key or queue policy was broken),
        // instead of dropping it after its own retries.
        SubscriptionDeadLetterQueue = EncryptedQueue(
            "SubscriptionDeadLetterQueue", consumer.SubscriptionDeadLetterQueueName, props.Key, consumer.DlqRetentionDays);

        // Only the topic may send to the queue. (Written out instead of using SqsSubscription, which would also
        // put a statement naming the topic into the key policy; the topic is encrypted with that same key, so
        // key and topic would depend on each other and CloudFormation would reject the template.)
        var sendPolicy = Queue.AddToResourcePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "AllowOrderEventsTopicToSend",
            Principals = [new ServicePrincipal("sns.amazonaws.com")],
            Actions = ["sqs:SendMessage"],
            Resources = [Queue.QueueArn],
            Conditions = new Dictionary<string, object> { ["ArnEquals"] = new Dictionary<string, object> { ["aws:SourceArn"] = props.Topic.TopicArn } },
        }));

        // The Subscription construct adds the matching send permission to its own dead-letter queue.
        Subscription = new Subscription(this, "Subscription", new SubscriptionProps
        {
            Topic = props.Topic,
            Protocol = SubscriptionProtocol.SQS,
            Endpoint = Queue.QueueArn,
            RawMessageDelivery = true,
            DeadLetterQueue = SubscriptionDeadLetterQueue,
        });
        // SNS delivers as soon as the subscription exists, so the queue must already accept the topic's messages.
        Subscription.Node.AddDependency(sendPolicy.PolicyDependable!);

        // The filter comes verbatim from the shared topology, so the local harness and AWS filter alike.
        var cfnSubscription = (CfnSubscription)Subscription.Node.DefaultChild!;
        cfnSubscription.FilterPolicy = ParseJsonObject(consumer.FilterPolicyJson);
        cfnSubscription.FilterPolicyScope = "MessageAttributes";
    }

    public Queue Queue { get; }

    public Queue DeadLetterQueue { get; }

    public Queue SubscriptionDeadLetterQueue { get; }

    public Subscription Subscription { get; }

    /// <summary>Every dead-letter queue of this consumer, for alarms and the dashboard.</summary>
    public IEnumerable<Queue> DeadLetterQueues => [DeadLetterQueue, SubscriptionDeadLetterQueue];

    private Queue EncryptedQueue(string id, string name, IKey key, int retentionDays) => new(this, id, new QueueProps
    {
        QueueName = name,
        Encryption = QueueEncryption.KMS,
        EncryptionMasterKey = key,
        EnforceSSL = true,
        RetentionPeriod = Duration.Days(retentionDays),
    });

    /// <summary>Turns the topology's JSON into the plain dictionaries and arrays CloudFormation properties take.</summary>
    internal static Dictionary<string, object> ParseJsonObject(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.ValueKind == JsonValueKind.Object
            ? (Dictionary<string, object>)Convert(document.RootElement)
            : throw new ArgumentException($"Expected a JSON object, got: {json}", nameof(json));
    }

    private static object Convert(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().ToDictionary(p => p.Name, p => Convert(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().Select(Convert).ToArray(),
        JsonValueKind.String => element.GetString()!,
        JsonValueKind.Number => element.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new ArgumentException($"Unsupported JSON value in a filter policy: {element}"),
    };
}

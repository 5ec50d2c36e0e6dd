using Fanout.Contracts.Events;

namespace Fanout.Contracts.Topology;

/// <summary>The one description of Fanout's moving parts. The CDK stack, the local harness and the tests all
/// build from it, so the deployed system and the emulated one have the same topic, queues, filters and tables.</summary>
public static class FanoutTopology
{
    public const string TopicName = "order-events";

    /// <summary>The partition key of every table (each table is single-table designed around it).</summary>
    public const string PartitionKey = "pk";

    /// <summary>The TTL attribute (epoch seconds) that lets DynamoDB expire idempotency records.</summary>
    public const string TtlAttribute = "expiresAt";

    /// <summary>How long idempotency records are kept, in days: longer than any message can live
    /// (<see cref="ConsumerSpec.MaxMessageLifeDays"/>, counting a redrive), checked by <see cref="Validate"/>.</summary>
    public const int IdempotencyRetentionDays = 30;

    public static readonly TableSpec OrdersTable = new("orders", "fanout-orders");
    public static readonly TableSpec SmsTable = new("sms", "fanout-sms");
    public static readonly TableSpec EmailTable = new("email", "fanout-email");
    public static readonly TableSpec InventoryTable = new("inventory", "fanout-inventory");

    public static IReadOnlyList<TableSpec> Tables { get; } = [OrdersTable, SmsTable, EmailTable, InventoryTable];

    public static readonly FunctionSpec OrderIntake = new()
    {
        Name = "OrderIntake",
        Project = "functions/Fanout.OrderIntake",
        Service = "orders",
        Table = OrdersTable,
        // An order is one GetItem (the order its key named the previous UTC day) and one conditional Put;
        // TransactWriteItems (a cancellation) is authorised per item: the outbox entry's Put needs dynamodb:PutItem and
        // the cancel's Update UpdateItem; a published cancellation entry is deleted.
        TableOperations = ["GetItem", "PutItem", "UpdateItem", "DeleteItem"],
        TimeoutSeconds = 10,
        MemoryMb = 512,
        Publishes = true,
    };

    public static readonly ConsumerSpec Sms = new()
    {
        Service = "sms",
        Function = new FunctionSpec
        {
            Name = "Sms",
            Project = "functions/Fanout.Sms",
            Table = SmsTable,
            TimeoutSeconds = 30,
            MemoryMb = 256,
            Publishes = true,
            Channel = OutboundChannel.Sms,
            // Lease idempotency: claim (Put), complete (Update), release (Delete); the recording sender and the
            // failure recorder Put.
            TableOperations = ["PutItem", "UpdateItem", "DeleteItem"],
        },
        EventTypes = [EventTypes.OrderPlaced, EventTypes.InventoryRejected, EventTypes.OrderCancelled],
        // SMS providers throttle hard and charge per message: keep few concurrent senders.
        MaxConcurrency = 2,
    };

    public static readonly ConsumerSpec Email = new()
    {
        Service = "email",
        Function = new FunctionSpec
        {
            Name = "Email",
            Project = "functions/Fanout.Email",
            Table = EmailTable,
            TimeoutSeconds = 30,
            MemoryMb = 256,
            Publishes = true,
            Channel = OutboundChannel.Email,
            TableOperations = ["PutItem", "UpdateItem", "DeleteItem"],
        },
        EventTypes = [EventTypes.OrderPlaced, EventTypes.InventoryRejected, EventTypes.OrderCancelled],
        MaxConcurrency = 2,
    };

    public static readonly ConsumerSpec Inventory = new()
    {
        Service = "inventory",
        Function = new FunctionSpec
        {
            Name = "Inventory",
            Project = "functions/Fanout.Inventory",
            Table = InventoryTable,
            TimeoutSeconds = 30,
            MemoryMb = 256,
            Publishes = true,
            // The reservation transaction's Put of the per-order item and its stock Updates, the release's Updates
            // (authorised per item as PutItem and UpdateItem); a rejection or tombstone is one Put or Update; the
            // cancel reads the per-order item first (GetItem).
            TableOperations = ["GetItem", "PutItem", "UpdateItem"],
        },
        EventTypes = [EventTypes.OrderPlaced, EventTypes.OrderCancelled],
        MaxConcurrency = 5,
    };

    public static readonly ConsumerSpec OrderStatus = new()
    {
        Service = "orderstatus",
        // OrderStatus belongs to the order service: it writes the order service's own table.
        Function = new FunctionSpec
        {
            Name = "OrderStatus",
            Project = "functions/Fanout.OrderStatus",
            Table = OrdersTable,
            TimeoutSeconds = 30,
            MemoryMb = 256,
            Publishes = false,
            // Applies outcomes (Update, Get on conflict); the failure recorder Puts FAILURE# items.
            TableOperations = ["GetItem", "PutItem", "UpdateItem"],
        },
        EventTypes = [EventTypes.SmsSent, EventTypes.EmailSent, EventTypes.InventoryReserved, EventTypes.InventoryRejected, EventTypes.InventoryReleased],
        MaxConcurrency = 5,
    };

    /// <summary>Publishes the order table's pending facts that the intake's inline publish did not: driven by the
    /// table's DynamoDB stream (filtered to new <see cref="OutboxSpec.RelayedKeyPrefixes"/> items) on AWS, by an
    /// in-process stream poller locally.</summary>
    public static readonly FunctionSpec OutboxRelay = new()
    {
        Name = "OutboxRelay",
        Project = "functions/Fanout.OutboxRelay",
        Service = "orders",
        Table = OrdersTable,
        // Reads the entry or the order (consistently) before publishing, deletes a published outbox entry.
        TableOperations = ["GetItem", "DeleteItem"],
        TimeoutSeconds = 30,
        MemoryMb = 256,
        Publishes = true,
    };

    /// <summary>Every <see cref="ReconcilerSpec.ScheduleMinutes"/> minutes: finds orders <c>PENDING</c> or
    /// <c>CANCELLING</c> for longer than the threshold, republishes their pending facts and reports how many it found.</summary>
    public static readonly FunctionSpec Reconciler = new()
    {
        Name = "Reconciler",
        Project = "functions/Fanout.Reconciler",
        Service = "orders",
        Table = OrdersTable,
        // Queries the open-orders index, reads each order, and deletes outbox entries it published.
        TableOperations = ["Query", "GetItem", "DeleteItem"],
        TimeoutSeconds = 60,
        MemoryMb = 256,
        Publishes = true,
    };

    public static IReadOnlyList<ConsumerSpec> Consumers { get; } = [Sms, Email, Inventory, OrderStatus];

    public static IReadOnlyList<FunctionSpec> Functions { get; } = [OrderIntake, .. Consumers.Select(c => c.Function), OutboxRelay, Reconciler];

    /// <summary>Checks the rules the platform does not check for us; throws naming every broken one.</summary>
    public static void Validate(IEnumerable<ConsumerSpec> consumers)
    {
        ArgumentNullException.ThrowIfNull(consumers);
        var problems = new List<string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var consumer in consumers)
        {
            if (!names.Add(consumer.QueueName))
            {
                problems.Add($"queue name '{consumer.QueueName}' is used twice");
            }

            problems.AddRange(consumer.Problems());
            if (consumer.MaxMessageLifeDays >= IdempotencyRetentionDays)
            {
                problems.Add($"queue '{consumer.QueueName}' can hold a message {consumer.MaxMessageLifeDays} days (queue, then DLQ, then redrive), " +
                    $"not less than the {IdempotencyRetentionDays}-day idempotency retention: a late duplicate would act twice");
            }
        }

        if (problems.Count > 0)
        {
            throw new TopologyException("Invalid Fanout topology: " + string.Join("; ", problems) + ".");
        }
    }
}

/// <summary>The outbox in the order service's table. An order is its own outbox entry: the <c>ORDER#&lt;id&gt;</c> item
/// owes its <c>OrderPlaced</c> (rebuilt from the stored fields) until the first outcome is applied. A cancellation and
/// its fact are written in one transaction; that fact is an item <c>OUTBOX#&lt;eventId&gt;</c> holding the exact
/// envelope, deleted once published. See ARCHITECTURE.md, "The outbox".</summary>
public static class OutboxSpec
{
    public const string KeyPrefix = "OUTBOX#";

    /// <summary>The order items' key prefix (<c>Fanout.Orders.DynamoOrderStore.OrderPrefix</c>): a new order item is
    /// an outbox entry of its <c>OrderPlaced</c>.</summary>
    public const string OrderKeyPrefix = "ORDER#";

    /// <summary>The key prefixes of new items the relay reads from the table's stream: outbox entries and orders.</summary>
    public static IReadOnlyList<string> RelayedKeyPrefixes { get; } = [KeyPrefix, OrderKeyPrefix];

    /// <summary>How long a request waits for its inline publish before answering <c>202</c> anyway, in milliseconds.</summary>
    public const int InlinePublishTimeoutMs = 1000;

    /// <summary>Stream records per relay invocation on AWS (the event source mapping's <c>BatchSize</c>).</summary>
    public const int RelayBatchSize = 100;

    /// <summary>Retries of a failing stream batch before its records go to the on-failure destination (bisected on each).</summary>
    public const int RelayMaximumRetryAttempts = 10;

    /// <summary>A stream record older than this, in seconds, goes to the on-failure destination instead of being retried.</summary>
    public const int RelayMaximumRecordAgeSeconds = 3600;

    /// <summary>The SQS queue the relay's event source mapping sends records it gave up on (on-failure destination).</summary>
    public const string RelayFailureQueueName = "fanout-outbox-relay-failures";

    /// <summary>Locally, how often the in-process stream poller asks DynamoDB Local for new records, in milliseconds.</summary>
    public const int LocalPollIntervalMs = 200;
}

/// <summary>The reconciler's schedule, threshold, index and metric.</summary>
public static class ReconcilerSpec
{
    /// <summary>EventBridge Scheduler rate on AWS; locally a timer with the same period unless a test shortens it.</summary>
    public const int ScheduleMinutes = 5;

    /// <summary>Default of CDK context <c>stuckOrderThresholdMinutes</c>.</summary>
    public const int DefaultStuckThresholdMinutes = 15;

    /// <summary>A sparse global secondary index of the orders table: only orders still <c>PENDING</c> or
    /// <c>CANCELLING</c> carry its keys, so the reconciler reads open orders only.</summary>
    public const string OpenOrdersIndex = "open-orders";

    /// <summary>The index's partition key: <c>OPEN#0</c> … <c>OPEN#{OpenShards-1}</c>, chosen by the order id, so the
    /// index's writes spread over several partitions.</summary>
    public const string OpenShardAttribute = "openShard";

    /// <summary>The index's sort key: when the order became open (placed, or asked to cancel), ISO-8601 UTC.</summary>
    public const string OpenSinceAttribute = "openSince";

    public const int OpenShards = 4;

    /// <summary>CloudWatch metric (Embedded Metric Format, namespace <c>Fanout</c>, dimension <c>Service</c>) with the
    /// number of stuck orders a run found; alarmed above zero.</summary>
    public const string MetricNamespace = "Fanout";

    public const string StuckOrdersMetric = "StuckOrders";
}

/// <summary>A DynamoDB table owned by one service. <paramref name="LocalName"/> is the physical name used
/// on emulators; on AWS the stack lets CloudFormation name the table and passes the name in.</summary>
public sealed record TableSpec(string Id, string LocalName);

/// <summary>A channel to people outside the system; its sender (recording or real) is chosen at deploy time.</summary>
public enum OutboundChannel
{
    None,
    Sms,
    Email,
}

/// <summary>A Lambda function and the limits it runs under.</summary>
public sealed record FunctionSpec
{
    public required string Name { get; init; }

    /// <summary>The project folder, relative to the repository root.</summary>
    public required string Project { get; init; }

    public required TableSpec Table { get; init; }

    public required int TimeoutSeconds { get; init; }

    public required int MemoryMb { get; init; }

    /// <summary>Whether the function publishes facts to the topic (and so needs <c>sns:Publish</c>).</summary>
    public required bool Publishes { get; init; }

    /// <summary>The service name on the function's log lines when it is not a consumer (a consumer's
    /// function logs under <see cref="ConsumerSpec.Service"/>).</summary>
    public string? Service { get; init; }

    /// <summary>The DynamoDB API operations the function's code performs on its table (e.g. <c>PutItem</c>).
    /// The stack grants exactly these, so a new call in the code must be added here to be allowed.</summary>
    public IReadOnlyList<string> TableOperations { get; init; } = [];

    /// <summary>The outside world the function may reach besides the topic and its table.</summary>
    public OutboundChannel Channel { get; init; }

    /// <summary>The project's assembly name, e.g. <c>Fanout.Sms</c>.</summary>
    public string AssemblyName => Project[(Project.LastIndexOf('/') + 1)..];
}

/// <summary>A consuming service: its queue, DLQ, subscription filter and the function that drains it.</summary>
public sealed record ConsumerSpec
{
    public const int LambdaVisibilityFactor = 6;

    public required string Service { get; init; }

    public required FunctionSpec Function { get; init; }

    /// <summary>The event <c>type</c> values the subscription's filter policy lets through.</summary>
    public required IReadOnlyList<string> EventTypes { get; init; }

    public int MaxConcurrency { get; init; } = 5;

    public int BatchSize { get; init; } = 10;

    public int MaxBatchingWindowSeconds { get; init; }

    public int MaxReceiveCount { get; init; } = 5;

    /// <summary>How long the DLQ keeps a message, in days (SQS allows 1 minute to 14 days).</summary>
    public int DlqRetentionDays { get; init; } = 14;

    /// <summary>How long the main queue keeps a message, in days: SQS's maximum of 14, not its 4-day default, so a
    /// long outage of a consumer's dependency loses nothing.</summary>
    public int MessageRetentionDays { get; init; } = 14;

    /// <summary>The first retry delay of a transiently failed record, in seconds: its visibility is set to
    /// <c>min(base × 2^(receiveCount−1), cap)</c> plus jitter before the partial batch response goes out.</summary>
    public int RetryBackoffBaseSeconds { get; init; } = 2;

    /// <summary>The longest retry delay, in seconds (SQS's visibility timeout limit is 43,200).</summary>
    public int RetryBackoffCapSeconds { get; init; } = 300;

    /// <summary>The longest a message can live, in days, counting one redrive from the DLQ back to the queue:
    /// idempotency records must outlive it, or a redriven duplicate would act twice.</summary>
    public int MaxMessageLifeDays => MessageRetentionDays + DlqRetentionDays;

    /// <summary>Defaults to the AWS guidance: six times the function timeout plus the batching window.</summary>
    public int? VisibilityTimeoutOverrideSeconds { get; init; }

    public int VisibilityTimeoutSeconds => VisibilityTimeoutOverrideSeconds ?? MinimumVisibilityTimeoutSeconds;

    public int MinimumVisibilityTimeoutSeconds => (LambdaVisibilityFactor * Function.TimeoutSeconds) + MaxBatchingWindowSeconds;

    public string QueueName => $"fanout-{Service}";

    public string DeadLetterQueueName => $"fanout-{Service}-dlq";

    public string SubscriptionDeadLetterQueueName => $"fanout-{Service}-subscription-dlq";

    /// <summary>The SNS filter policy (on message attributes) that selects this consumer's events.</summary>
    public string FilterPolicyJson => "{\"type\":[" + string.Join(",", EventTypes.Select(t => "\"" + t + "\"")) + "]}";

    internal IEnumerable<string> Problems()
    {
        if (VisibilityTimeoutSeconds < MinimumVisibilityTimeoutSeconds)
        {
            yield return $"queue '{QueueName}' has a visibility timeout of {VisibilityTimeoutSeconds}s, but its consumer '{Function.Name}' " +
                $"needs at least {LambdaVisibilityFactor} x {Function.TimeoutSeconds}s (function timeout) + {MaxBatchingWindowSeconds}s (batching window) = " +
                $"{MinimumVisibilityTimeoutSeconds}s, or messages are redelivered while still being processed";
        }

        if (BatchSize is < 1 or > 10)
        {
            yield return $"consumer '{Function.Name}' has batch size {BatchSize}; standard-queue batches here are 1 to 10";
        }

        if (MaxConcurrency is < 2 or > 1000)
        {
            yield return $"consumer '{Function.Name}' has maximum concurrency {MaxConcurrency}; Lambda accepts 2 to 1000";
        }

        if (MaxReceiveCount < 1)
        {
            yield return $"queue '{QueueName}' has maxReceiveCount {MaxReceiveCount}; it must be at least 1";
        }

        if (MessageRetentionDays is < 1 or > 14 || DlqRetentionDays is < 1 or > 14)
        {
            yield return $"queue '{QueueName}' keeps messages {MessageRetentionDays} days and its DLQ {DlqRetentionDays} days; SQS allows 1 to 14";
        }

        if (RetryBackoffBaseSeconds < 1 || RetryBackoffCapSeconds < RetryBackoffBaseSeconds || RetryBackoffCapSeconds > 43_200)
        {
            yield return $"consumer '{Function.Name}' has retry backoff base {RetryBackoffBaseSeconds}s and cap {RetryBackoffCapSeconds}s; " +
                "the base must be at least 1s and the cap between the base and 43200s (SQS's visibility limit)";
        }

        if ((long)MaxReceiveCount * RetryBackoffCapSeconds >= (long)MessageRetentionDays * 86_400)
        {
            yield return $"queue '{QueueName}' would retry {MaxReceiveCount} x {RetryBackoffCapSeconds}s (backoff cap), longer than its " +
                $"{MessageRetentionDays}-day retention: messages would expire before reaching the DLQ";
        }

        if (EventTypes.Count == 0)
        {
            yield return $"consumer '{Function.Name}' subscribes to no event type";
        }
    }
}

public sealed class TopologyException : Exception
{
    public TopologyException()
    {
    }

    public TopologyException(string message)
        : base(message)
    {
    }

    public TopologyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

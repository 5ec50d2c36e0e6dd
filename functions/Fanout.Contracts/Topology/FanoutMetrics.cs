namespace Fanout.Contracts.Topology;

/// <summary>The names every Fanout metric uses, shared by the functions that write them (as CloudWatch Embedded
/// Metric Format lines, AWS "Specification: Embedded metric format"), the stack that alarms on them and the CLI that
/// reads them back from a local log. Namespace <see cref="Namespace"/>; dimension set <c>[Service]</c>, plus
/// <c>[Service, EventType]</c> where the event type matters.</summary>
public static class FanoutMetrics
{
    /// <summary>The CloudWatch namespace of every Fanout metric.</summary>
    public const string Namespace = ReconcilerSpec.MetricNamespace;

    /// <summary>Dimension: the service that wrote the line (<c>FunctionSpec.Service</c>: orders, sms, email, inventory, orderstatus).</summary>
    public const string ServiceDimension = "Service";

    /// <summary>Dimension: the CloudEvents <c>type</c> of the event handled or published (e.g. <c>OrderPlaced</c>).</summary>
    public const string EventTypeDimension = "EventType";

    /// <summary>Milliseconds from the SQS <c>SentTimestamp</c> of a record to the start of its handling.</summary>
    public const string QueueWaitTime = "QueueWaitTime";

    /// <summary>Milliseconds one record's handling took, from its start to its outcome (success or failure).</summary>
    public const string ProcessingTime = "ProcessingTime";

    /// <summary>Milliseconds from an order's <c>OrderPlaced</c> <c>time</c> to one of its outcomes being applied
    /// (written by order status, <c>EventType</c> = the outcome's type).</summary>
    public const string EndToEndLatency = "EndToEndLatency";

    /// <summary>Count: records whose effect ran now.</summary>
    public const string Handled = "Handled";

    /// <summary>Count: records whose event had been handled before (a redelivery; the outcome was re-published).</summary>
    public const string Duplicate = "Duplicate";

    /// <summary>Count: records found poison (unparseable, breaking the contract, or refused for good).</summary>
    public const string Poison = "Poison";

    /// <summary>Count: records received more than once (<c>ApproximateReceiveCount</c> &gt; 1).</summary>
    public const string Retried = "Retried";

    /// <summary>Count: records that failed transiently (they come back after a backoff).</summary>
    public const string Failed = "Failed";

    /// <summary>Count: records received (the denominator of the retry and duplicate rates).</summary>
    public const string Received = "Received";

    /// <summary>Count: events published to the topic, dimension <c>[Service, EventType]</c>.</summary>
    public const string Published = "Published";

    /// <summary>DynamoDB write capacity units consumed (<c>ConsumedCapacity.CapacityUnits</c> of write calls,
    /// <c>ReturnConsumedCapacity=TOTAL</c>).</summary>
    public const string WriteUnits = "WriteUnits";

    /// <summary>DynamoDB read capacity units consumed.</summary>
    public const string ReadUnits = "ReadUnits";

    /// <summary>The unit of the timings above.</summary>
    public const string Milliseconds = "Milliseconds";

    /// <summary>The unit of the counts and capacity units above.</summary>
    public const string Count = "Count";

    /// <summary>The seeds' threshold: a retry rate (<see cref="Retried"/> / <see cref="Received"/>) above this
    /// fraction means a consumer or its dependency is struggling.</summary>
    public const double RetryRateAlarmThreshold = 0.30;
}

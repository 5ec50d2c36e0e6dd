using System.Globalization;
using Amazon.CDK;
using Amazon.CDK.AWS.CloudWatch;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;

namespace Fanout.Infra.Constructs;

/// <summary>The alarms and dashboard widgets built on Fanout's own metrics: the CloudWatch Embedded Metric Format
/// lines every function writes (namespace <see cref="FanoutMetrics.Namespace"/>, dimension sets <c>[Service]</c> and
/// <c>[Service, EventType]</c>; AWS "Specification: Embedded metric format"), next to the AWS/SQS metrics of the
/// subscriber queues. Everything is derived from the topology the stack deploys.</summary>
public sealed partial class Monitoring
{
    /// <summary>The period, in minutes, over which the pipeline's rates and drift are judged: long enough that a
    /// message published at the end of one minute and delivered in the next does not read as a drift.</summary>
    public const int PipelinePeriodMinutes = 5;

    /// <summary>The fewest records a consumer must receive in a period before its retry rate is judged: below this
    /// one retried message of three is a 33% "rate" that says nothing.</summary>
    public const int RetryRateMinimumRecords = 20;

    /// <summary>How many messages, per <see cref="PipelinePeriodMinutes"/>-minute period, the events published for a
    /// subscriber and the messages its queue received may differ before the drift alarm counts the period.</summary>
    public const int DeliveryDriftTolerance = 5;

    /// <summary>The per-record counts a consumer writes, graphed per minute for each service.</summary>
    internal static readonly string[] RecordCounts =
    [
        FanoutMetrics.Received, FanoutMetrics.Handled, FanoutMetrics.Duplicate, FanoutMetrics.Retried, FanoutMetrics.Failed, FanoutMetrics.Poison,
    ];

    private readonly Dictionary<string, IMetric> _retryRates = [];
    private readonly Dictionary<string, (IMetric Published, IMetric Delivered)> _deliveries = [];
    private Metric? _endToEnd;

    /// <summary>One Fanout metric of one service (dimension set <c>[Service]</c>, or <c>[Service, EventType]</c>
    /// with <paramref name="eventType"/>).</summary>
    /// <param name="name">A <see cref="FanoutMetrics"/> name, e.g. <see cref="FanoutMetrics.QueueWaitTime"/>.</param>
    /// <param name="service">The <c>Service</c> dimension.</param>
    /// <param name="statistic">A CloudWatch statistic: <c>Sum</c>, <c>p50</c>, <c>p99</c>...</param>
    /// <param name="period">The period of each datapoint.</param>
    /// <param name="eventType">The CloudEvents type of the <c>EventType</c> dimension, or null for the service's total.</param>
    internal static Metric FanoutMetric(string name, string service, string statistic, Duration period, string? eventType = null)
    {
        var dimensions = new Dictionary<string, string> { [FanoutMetrics.ServiceDimension] = service };
        if (eventType is not null)
        {
            dimensions[FanoutMetrics.EventTypeDimension] = eventType;
        }

        return new Metric(new MetricProps
        {
            Namespace = FanoutMetrics.Namespace,
            MetricName = name,
            DimensionsMap = dimensions,
            Period = period,
            Statistic = statistic,
            Label = eventType is null ? $"{service} {name} {statistic}" : $"{service} {name} {eventType}",
        });
    }

    /// <summary>The service whose functions publish <paramref name="eventType"/>: the last segment of the event's
    /// CloudEvents <c>source</c> (<c>urn:fanout:&lt;service&gt;</c>), which must be one of the stack's publishers.</summary>
    internal static string PublisherOf(string eventType, IReadOnlyCollection<string> publishingServices)
    {
        const string prefix = "urn:fanout:";
        var source = EventSources.For(eventType)
            ?? throw new TopologyException($"Event type '{eventType}' has no publishing source (EventSources.For); a subscription to it can never be fed.");
        var service = source.StartsWith(prefix, StringComparison.Ordinal) ? source[prefix.Length..] : source;
        return publishingServices.Contains(service)
            ? service
            : throw new TopologyException($"Event type '{eventType}' comes from service '{service}', which deploys no publishing function; " +
                $"publishers are {string.Join(", ", publishingServices)}.");
    }

    private void AddPipelineAlarms(MonitoringProps props)
    {
        var period = Duration.Minutes(PipelinePeriodMinutes);
        var publishers = props.Functions.Where(f => f.Spec.Publishes).Select(f => f.ServiceName).ToHashSet(StringComparer.Ordinal);
        foreach (var consumer in props.Consumers)
        {
            var spec = consumer.Consumer;
            var name = spec.Function.Name;
            var service = spec.Service;

            // Metric math ids must be unique within a graph, and the retry-rate graph holds every consumer's expression.
            var id = MetricId(service);
            var retryRate = new MathExpression(new MathExpressionProps
            {
                // Received is written once per record, Retried with it (0 or 1), so both have data when traffic
                // does; FILL covers a period where CloudWatch has only one of them yet.
                Expression = $"IF(received_{id} >= {RetryRateMinimumRecords}, FILL(retried_{id}, 0) / received_{id}, 0)",
                UsingMetrics = new Dictionary<string, IMetric>
                {
                    [$"received_{id}"] = FanoutMetric(FanoutMetrics.Received, service, "Sum", period),
                    [$"retried_{id}"] = FanoutMetric(FanoutMetrics.Retried, service, "Sum", period),
                },
                Period = period,
                Label = $"{service} retry rate",
            });
            _retryRates[service] = retryRate;
            Add($"{name}RetryRate", new AlarmProps
            {
                Metric = retryRate,
                Threshold = FanoutMetrics.RetryRateAlarmThreshold,
                ComparisonOperator = ComparisonOperator.GREATER_THAN_THRESHOLD,
                EvaluationPeriods = 3,
                DatapointsToAlarm = 2,
                // No records, no rate: an idle consumer is healthy, and one that should be busy but is not is the
                // queue-age and drift alarms' business.
                TreatMissingData = TreatMissingData.NOT_BREACHING,
                AlarmDescription = $"{name}: over {FanoutMetrics.RetryRateAlarmThreshold * 100:0}% of the records {spec.QueueName} delivered in 2 of the last 3 " +
                    $"{PipelinePeriodMinutes}-minute periods were redeliveries (judged from {RetryRateMinimumRecords} records a period). The consumer or its " +
                    "dependency is failing transiently: see fanout watch, its Failed metric and its log's outcome=failed lines.",
            });

            Add($"{name}Poison", new AlarmProps
            {
                Metric = FanoutMetric(FanoutMetrics.Poison, service, "Sum", Duration.Minutes(1)),
                Threshold = 0,
                ComparisonOperator = ComparisonOperator.GREATER_THAN_THRESHOLD,
                EvaluationPeriods = 1,
                // Poison is written only for a poison record; no data is the normal state.
                TreatMissingData = TreatMissingData.NOT_BREACHING,
                AlarmDescription = $"{name}: a record was poison (unparseable, breaking the event contract, or refused for good); its reason is " +
                    $"recorded and it goes to {spec.DeadLetterQueueName} after quick redeliveries. Find it with fanout dlq show {service}, fanout trace " +
                    "or Logs Insights (outcome = 'poison') and fix the publisher.",
            });

            var published = spec.EventTypes
                .Select((type, index) => (Id: $"published_{id}_{index}", Metric: FanoutMetric(FanoutMetrics.Published, PublisherOf(type, publishers), "Sum", period, type)))
                .ToList();
            var usingMetrics = published.ToDictionary(p => p.Id, p => (IMetric)p.Metric);
            usingMetrics[$"delivered_{id}"] = consumer.Queues.Queue.MetricNumberOfMessagesSent(Every(period, "Sum"));
            var publishedSum = new MathExpression(new MathExpressionProps
            {
                Expression = string.Join(" + ", published.Select(p => $"FILL({p.Id}, 0)")),
                UsingMetrics = published.ToDictionary(p => p.Id, p => (IMetric)p.Metric),
                Period = period,
                Label = $"published for {spec.QueueName}",
            });
            _deliveries[service] = (publishedSum, usingMetrics[$"delivered_{id}"]);
            Add($"{name}DeliveryDrift", new AlarmProps
            {
                Metric = new MathExpression(new MathExpressionProps
                {
                    Expression = $"ABS({string.Join(" + ", published.Select(p => $"FILL({p.Id}, 0)"))} - FILL(delivered_{id}, 0))",
                    UsingMetrics = usingMetrics,
                    Period = period,
                    Label = $"{spec.QueueName} published vs delivered",
                }),
                Threshold = DeliveryDriftTolerance,
                ComparisonOperator = ComparisonOperator.GREATER_THAN_THRESHOLD,
                // Two periods running: a burst straddling a period boundary evens out in the next one.
                EvaluationPeriods = 2,
                DatapointsToAlarm = 2,
                // Neither published nor delivered: nothing to compare, no drift.
                TreatMissingData = TreatMissingData.NOT_BREACHING,
                AlarmDescription = $"{spec.QueueName}: the events published of the types its filter policy accepts ({string.Join(", ", spec.EventTypes)}) " +
                    $"and the messages SQS received differ by over {DeliveryDriftTolerance} per {PipelinePeriodMinutes} minutes, twice running. Fewer delivered: " +
                    "check the subscription's DLQ, NumberOfNotificationsFailed and the filter policy; more delivered: a DLQ redrive or a publisher's EMF lines missing.",
            });
        }

        if (props.EndToEndService is { } endToEndService)
        {
            _endToEnd = FanoutMetric(FanoutMetrics.EndToEndLatency, endToEndService, "p99", period);
            Add("EndToEndLatency", new AlarmProps
            {
                Metric = _endToEnd,
                Threshold = props.EndToEndSloMs,
                ComparisonOperator = ComparisonOperator.GREATER_THAN_THRESHOLD,
                EvaluationPeriods = 3,
                DatapointsToAlarm = 2,
                // Too few outcomes for a p99 keep the alarm as it is rather than judging from a handful.
                EvaluateLowSampleCountPercentile = "ignore",
                // No outcome applied, no latency: stuck orders are the reconciler's alarm, idle hours are fine.
                TreatMissingData = TreatMissingData.NOT_BREACHING,
                AlarmDescription = $"p99 from OrderPlaced to an outcome applied (EndToEndLatency, Service={endToEndService}) was over the " +
                    $"{props.EndToEndSloMs.ToString(CultureInfo.InvariantCulture)} ms objective in 2 of the last 3 {PipelinePeriodMinutes}-minute periods. " +
                    "Compare QueueWaitTime (backlog: concurrency) with ProcessingTime (slow work: dependencies) per service on the dashboard.",
            });
        }
    }

    private void AddPipelineWidgets(Dashboard dashboard, MonitoringProps props)
    {
        var minute = Duration.Minutes(1);
        foreach (var consumer in props.Consumers)
        {
            var service = consumer.Consumer.Service;
            // Queue wait and processing time side by side: a backlog and slow work need different fixes.
            dashboard.AddWidgets(
                Graph($"{service}: {FanoutMetrics.QueueWaitTime} (ms)", Percentiles(FanoutMetrics.QueueWaitTime, service, minute), width: 8),
                Graph($"{service}: {FanoutMetrics.ProcessingTime} (ms)", Percentiles(FanoutMetrics.ProcessingTime, service, minute), width: 8),
                Graph($"{service}: records per minute", RecordCounts.Select(name => (IMetric)FanoutMetric(name, service, "Sum", minute)), width: 8));
        }

        // A row holds 24 columns: one graph per subscriber, four to a row.
        foreach (var row in props.Consumers.Chunk(4))
        {
            dashboard.AddWidgets(row.Select(c =>
            {
                var (published, delivered) = _deliveries[c.Consumer.Service];
                return (IWidget)Graph($"{c.Consumer.QueueName}: published vs delivered", [published, delivered], width: 6);
            }).ToArray());
        }

        var rates = Graph("Retry rate (Retried / Received)", _retryRates.Values, FanoutMetrics.RetryRateAlarmThreshold);
        dashboard.AddWidgets(_endToEnd is { } endToEnd
            ? [rates, Graph($"{FanoutMetrics.EndToEndLatency} p99 (ms)", [endToEnd], props.EndToEndSloMs)]
            : [rates]);

        var services = props.Functions.Select(f => f.ServiceName).Distinct(StringComparer.Ordinal).ToList();
        dashboard.AddWidgets(
            Graph($"DynamoDB {FanoutMetrics.WriteUnits} per minute", services.Select(s => (IMetric)FanoutMetric(FanoutMetrics.WriteUnits, s, "Sum", minute))),
            Graph($"DynamoDB {FanoutMetrics.ReadUnits} per minute", services.Select(s => (IMetric)FanoutMetric(FanoutMetrics.ReadUnits, s, "Sum", minute))));
    }

    /// <summary>A metric math id part from a service name (ids match <c>^[a-z][a-zA-Z0-9_]*$</c>).</summary>
    private static string MetricId(string service) => new(service.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '_').ToArray());

    private static IEnumerable<IMetric> Percentiles(string name, string service, Duration period) =>
        [FanoutMetric(name, service, "p50", period), FanoutMetric(name, service, "p99", period)];
}

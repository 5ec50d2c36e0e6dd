using Amazon.CDK;
using Amazon.CDK.AWS.Apigatewayv2;
using Amazon.CDK.AWS.CloudWatch;
using Amazon.CDK.AWS.CloudWatch.Actions;
using Amazon.CDK.AWS.SNS;
using Amazon.CDK.AWS.SNS.Subscriptions;
using Amazon.CDK.AWS.SQS;
using Constructs;
using Fanout.Contracts.Topology;

namespace Fanout.Infra.Constructs;

public sealed class MonitoringProps
{
    public required MessagingKey Key { get; init; }

    public required Topic OrderEvents { get; init; }

    public required IHttpApi Api { get; init; }

    public required IReadOnlyList<ConsumerService> Consumers { get; init; }

    /// <summary>Every function, consumers and OrderIntake alike.</summary>
    public required IReadOnlyList<FanoutFunction> Functions { get; init; }

    public required int QueueAgeAlarmSeconds { get; init; }

    /// <summary>Optional address the alarm topic e-mails.</summary>
    public string? AlarmEmail { get; init; }

    /// <summary>Queues that hold only what failed (besides the consumers' DLQs): alarmed on any visible message and
    /// shown with the dead-letter queues.</summary>
    public IReadOnlyList<FailureQueue> FailureQueues { get; init; } = [];

    /// <summary>The function reading the orders table's stream, whose lag (<c>IteratorAge</c>) is alarmed; null for none.</summary>
    public FanoutFunction? StreamReader { get; init; }

    /// <summary>The <c>Service</c> dimension under which the consumer that applies outcomes writes
    /// <see cref="FanoutMetrics.EndToEndLatency"/> (order status: <c>orderstatus</c>); null for no end-to-end alarm.</summary>
    public string? EndToEndService { get; init; }

    /// <summary>The end-to-end objective in milliseconds: the p99 of <see cref="FanoutMetrics.EndToEndLatency"/> it alarms above.</summary>
    public int EndToEndSloMs { get; init; } = StackSettings.DefaultEndToEndSloMs;

    /// <summary>The <c>Service</c> dimension of the reconciler's <see cref="ReconcilerSpec.StuckOrdersMetric"/> metric;
    /// null when the stack runs no reconciler (no alarm then).</summary>
    public string? StuckOrdersService { get; init; }
}

/// <summary>A queue whose messages are failures to look at.</summary>
/// <param name="Id">The alarm's id, e.g. <c>OutboxRelayFailureQueue</c>.</param>
/// <param name="Queue">The queue.</param>
/// <param name="Meaning">What a message in it means, for the alarm description.</param>
public sealed record FailureQueue(string Id, IQueue Queue, string Meaning);

/// <summary>What tells an operator something is wrong: alarms on an encrypted alarm topic, and one dashboard
/// with the queues, dead-letter queues and functions side by side.</summary>
public sealed partial class Monitoring : Construct
{
    private readonly List<Alarm> _alarms = [];
    private readonly SnsAction _notify;
    private readonly string _prefix;

    public Monitoring(Construct scope, string id, MonitoringProps props)
        : base(scope, id)
    {
        ArgumentNullException.ThrowIfNull(props);
        ArgumentNullException.ThrowIfNull(props.Key);
        ArgumentNullException.ThrowIfNull(props.OrderEvents);
        ArgumentNullException.ThrowIfNull(props.Consumers);
        ArgumentNullException.ThrowIfNull(props.Functions);
        ArgumentOutOfRangeException.ThrowIfLessThan(props.QueueAgeAlarmSeconds, 60);
        var stack = Stack.Of(this);
        _prefix = stack.StackName;

        AlarmTopic = new EncryptedTopic(this, "AlarmTopic", new EncryptedTopicProps
        {
            Key = props.Key.Key,
            DisplayName = $"{_prefix} alarms",
        });
        AlarmTopic.AllowCloudWatchAlarms(
            stack.Account,
            stack.FormatArn(new ArnComponents { Service = "cloudwatch", Resource = "alarm", ResourceName = "*", ArnFormat = ArnFormat.COLON_RESOURCE_NAME }));
        // CloudWatch publishes to the encrypted alarm topic, so it needs the key as well.
        props.Key.AllowCloudWatchAlarms();
        if (props.AlarmEmail is { } email)
        {
            AlarmTopic.Topic.AddSubscription(new EmailSubscription(email));
        }

        _notify = new SnsAction(AlarmTopic.Topic);

        foreach (var consumer in props.Consumers)
        {
            var name = consumer.Consumer.Function.Name;
            AlarmWhenNotEmpty($"{name}DeadLetterQueue", consumer.Queues.DeadLetterQueue, "messages failed processing maxReceiveCount times");
            AlarmWhenNotEmpty($"{name}SubscriptionDeadLetterQueue", consumer.Queues.SubscriptionDeadLetterQueue, "SNS could not deliver messages to the queue");
            Add($"{name}QueueAge", new AlarmProps
            {
                Metric = consumer.Queues.Queue.MetricApproximateAgeOfOldestMessage(Every(Duration.Minutes(1), "Maximum")),
                Threshold = props.QueueAgeAlarmSeconds,
                ComparisonOperator = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                // Sustained, not a burst being worked off.
                EvaluationPeriods = 5,
                DatapointsToAlarm = 5,
                TreatMissingData = TreatMissingData.NOT_BREACHING,
                AlarmDescription = $"{consumer.Consumer.QueueName}: the oldest message has waited over {props.QueueAgeAlarmSeconds}s for 5 minutes; " +
                    $"{name} is failing or cannot keep up (check its errors and maxConcurrency {consumer.Consumer.MaxConcurrency}).",
            });
        }

        foreach (var function in props.Functions)
        {
            var name = function.Spec.Name;
            Add($"{name}Errors", new AlarmProps
            {
                Metric = function.Function.MetricErrors(Every(Duration.Minutes(5), "Sum")),
                Threshold = 1,
                ComparisonOperator = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                EvaluationPeriods = 1,
                TreatMissingData = TreatMissingData.NOT_BREACHING,
                AlarmDescription = $"{name}: invocations failed (crash, timeout or init error); see its log group.",
            });
            Add($"{name}Throttles", new AlarmProps
            {
                Metric = function.Function.MetricThrottles(Every(Duration.Minutes(5), "Sum")),
                Threshold = 1,
                ComparisonOperator = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                EvaluationPeriods = 1,
                TreatMissingData = TreatMissingData.NOT_BREACHING,
                AlarmDescription = $"{name}: invocations were throttled; the account's concurrency is exhausted.",
            });
        }

        foreach (var failures in props.FailureQueues)
        {
            AlarmWhenNotEmpty(failures.Id, failures.Queue, failures.Meaning);
        }

        if (props.StreamReader is { } reader)
        {
            // The outbox promises a publish within a minute of the 202; a relay that lags the stream by a minute,
            // three minutes running, breaks it for every order the inline publish missed.
            Add($"{reader.Spec.Name}IteratorAge", new AlarmProps
            {
                Metric = reader.Function.Metric("IteratorAge", Every(Duration.Minutes(1), "Maximum")),
                Threshold = StreamLagAlarmMilliseconds,
                ComparisonOperator = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                EvaluationPeriods = 3,
                DatapointsToAlarm = 3,
                TreatMissingData = TreatMissingData.NOT_BREACHING,
                AlarmDescription = $"{reader.Spec.Name} is over {StreamLagAlarmMilliseconds / 1000}s behind the orders table's stream for 3 minutes: " +
                    "outbox entries the intake could not publish wait longer than the outbox promises (check its errors and SNS).",
            });
        }

        if (props.StuckOrdersService is { } service)
        {
            StuckOrders = StuckOrdersMetric(service, Duration.Minutes(ReconcilerSpec.ScheduleMinutes));
            // One run's count per period: any stuck order is worth a look (the reconciler already republished what
            // it owed; the alarm says the normal path failed for it).
            Add("StuckOrders", new AlarmProps
            {
                Metric = StuckOrders,
                Threshold = 0,
                ComparisonOperator = ComparisonOperator.GREATER_THAN_THRESHOLD,
                EvaluationPeriods = 1,
                // No data means no run reported: the reconciler's errors alarm and its schedule's DLQ cover that.
                TreatMissingData = TreatMissingData.NOT_BREACHING,
                AlarmDescription = $"Orders stayed PENDING or CANCELLING past the reconciler's threshold; it republished their pending events. " +
                    "Look at the orders (fanout order <id>), the outbox relay's errors and the consumers' DLQs.",
            });
        }

        Add("OrderEventsFailedNotifications", new AlarmProps
        {
            Metric = props.OrderEvents.MetricNumberOfNotificationsFailed(Every(Duration.Minutes(5), "Sum")),
            Threshold = 1,
            ComparisonOperator = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            EvaluationPeriods = 1,
            TreatMissingData = TreatMissingData.NOT_BREACHING,
            AlarmDescription = "order-events: SNS failed to deliver to a subscription (check queue policies and the key policy).",
        });

        AddPipelineAlarms(props);
        Dashboard = BuildDashboard(props);
        AddPipelineWidgets(Dashboard, props);
    }

    /// <summary>The stream lag, in milliseconds, above which the relay's <c>IteratorAge</c> alarm fires: the outbox's
    /// one-minute publish promise on AWS.</summary>
    public const int StreamLagAlarmMilliseconds = 60_000;

    public EncryptedTopic AlarmTopic { get; }

    public IReadOnlyList<Alarm> Alarms => _alarms;

    public Dashboard Dashboard { get; }

    /// <summary>The reconciler's stuck-order count, when the stack has a reconciler.</summary>
    public Metric? StuckOrders { get; private set; }

    /// <summary>The reconciler's EMF metric: namespace <see cref="ReconcilerSpec.MetricNamespace"/>, name
    /// <see cref="ReconcilerSpec.StuckOrdersMetric"/>, dimension <c>Service</c>; the highest count of a period.</summary>
    internal static Metric StuckOrdersMetric(string service, Duration period) => new(new MetricProps
    {
        Namespace = ReconcilerSpec.MetricNamespace,
        MetricName = ReconcilerSpec.StuckOrdersMetric,
        DimensionsMap = new Dictionary<string, string> { ["Service"] = service },
        Period = period,
        Statistic = "Maximum",
    });

    private static MetricOptions Every(Duration period, string statistic) => new() { Period = period, Statistic = statistic };

    private void AlarmWhenNotEmpty(string id, IQueue deadLetterQueue, string meaning) => Add(id, new AlarmProps
    {
        Metric = deadLetterQueue.MetricApproximateNumberOfMessagesVisible(Every(Duration.Minutes(1), "Maximum")),
        Threshold = 1,
        ComparisonOperator = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        EvaluationPeriods = 1,
        TreatMissingData = TreatMissingData.NOT_BREACHING,
        AlarmDescription = $"Dead-letter queue {deadLetterQueue.QueueName} holds messages: {meaning}. Inspect them, fix the cause, then redrive.",
    });

    private void Add(string id, AlarmProps props)
    {
        props.AlarmName = $"{_prefix}-{id}";
        var alarm = new Alarm(this, id, props);
        alarm.AddAlarmAction(_notify);
        alarm.AddOkAction(_notify);
        _alarms.Add(alarm);
    }

    private Dashboard BuildDashboard(MonitoringProps props)
    {
        var minute = Duration.Minutes(1);
        var queues = props.Consumers.Select(c => c.Queues).ToList();
        var dashboard = new Dashboard(this, "Dashboard", new DashboardProps { DashboardName = _prefix });
        dashboard.AddWidgets(
            Graph("Queue depth (visible messages)", queues.Select(q => q.Queue.MetricApproximateNumberOfMessagesVisible(Every(minute, "Maximum")))),
            Graph("Oldest message age (seconds)", queues.Select(q => q.Queue.MetricApproximateAgeOfOldestMessage(Every(minute, "Maximum"))), props.QueueAgeAlarmSeconds));
        dashboard.AddWidgets(
            Graph("Dead-letter queue depth", queues.SelectMany(q => q.DeadLetterQueues).Cast<IQueue>().Concat(props.FailureQueues.Select(f => f.Queue))
                .Select(q => q.MetricApproximateNumberOfMessagesVisible(Every(minute, "Maximum")))),
            Graph("order-events deliveries", [
                props.OrderEvents.MetricNumberOfMessagesPublished(Every(minute, "Sum")),
                props.OrderEvents.MetricNumberOfNotificationsDelivered(Every(minute, "Sum")),
                props.OrderEvents.MetricNumberOfNotificationsFailed(Every(minute, "Sum")),
            ]));
        dashboard.AddWidgets(
            Graph("Function duration p99 (ms)", props.Functions.Select(f => f.Function.MetricDuration(Every(minute, "p99")))),
            Graph("Function errors", props.Functions.Select(f => f.Function.MetricErrors(Every(minute, "Sum")))));
        dashboard.AddWidgets(
            Graph("Function throttles", props.Functions.Select(f => f.Function.MetricThrottles(Every(minute, "Sum")))),
            Graph("API requests and errors", [
                Metric(props.Api, "Count"),
                Metric(props.Api, "4xx"),
                Metric(props.Api, "5xx"),
            ]));
        if (StuckOrders is { } stuck)
        {
            dashboard.AddWidgets(Graph("Stuck orders (reconciler)", [stuck], 0));
        }

        return dashboard;
    }

    private static Metric Metric(IHttpApi api, string name) => new(new MetricProps
    {
        Namespace = "AWS/ApiGateway",
        MetricName = name,
        DimensionsMap = new Dictionary<string, string> { ["ApiId"] = api.ApiId },
        Period = Duration.Minutes(1),
        Statistic = "Sum",
    });

    private static GraphWidget Graph(string title, IEnumerable<IMetric> metrics, double? threshold = null, int width = 12) => new(new GraphWidgetProps
    {
        Title = title,
        Left = metrics.ToArray(),
        Width = width,
        LeftAnnotations = threshold is { } value ? [new HorizontalAnnotation { Value = value, Label = "alarm" }] : null,
    });
}

using System.Text.Json;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.Infra.Constructs;
using Fanout.Infra.Tests.Support;

namespace Fanout.Infra.Tests;

/// <summary>The alarms and dashboard widgets on Fanout's own EMF metrics (namespace <c>Fanout</c>): retry rate,
/// poison, end-to-end p99, published vs delivered per subscriber, and queue wait next to processing time.</summary>
[Trait("Category", "Infra")]
public sealed class PipelineMonitoringTests
{
    /// <summary>Who publishes each event type, written out here (not derived as the stack derives it) so a wrong
    /// derivation fails.</summary>
    private static readonly Dictionary<string, string> Publisher = new()
    {
        [EventTypes.OrderPlaced] = "orders",
        [EventTypes.OrderCancelled] = "orders",
        [EventTypes.SmsSent] = "sms",
        [EventTypes.EmailSent] = "email",
        [EventTypes.InventoryReserved] = "inventory",
        [EventTypes.InventoryRejected] = "inventory",
        [EventTypes.InventoryReleased] = "inventory",
    };

    private static readonly Lazy<SynthesizedStack> TightSlo = new(() =>
        SynthesizedStack.Synthesize(new Dictionary<string, object> { [StackSettings.Keys.EndToEndSloMs] = 750 }));

    private static SynthesizedStack Stack => SynthesizedStack.Default;

    public static TheoryData<string> ConsumerNames() => Paths.ConsumerNames();

    [Theory]
    [MemberData(nameof(ConsumerNames))]
    public void RetryRateAlarm_Synth_FiresAboveThirtyPercentOfTheConsumersRecordsFromAMinimumVolume(string consumerName)
    {
        var consumer = Paths.Consumer(consumerName);
        var alarm = Alarm(Stack, $"{consumerName}RetryRate");

        Assert.Equal(FanoutMetrics.RetryRateAlarmThreshold, alarm.GetProperty("Threshold").GetDouble());
        Assert.Equal("GreaterThanThreshold", alarm.GetProperty("ComparisonOperator").GetString());
        Assert.Equal("notBreaching", alarm.GetProperty("TreatMissingData").GetString());
        var expression = Expression(alarm);
        var received = Stat(alarm, FanoutMetrics.Received);
        var retried = Stat(alarm, FanoutMetrics.Retried);
        // Retried over Received, and 0 below the minimum volume.
        Assert.Contains($"{received.Id} >= {Monitoring.RetryRateMinimumRecords}", expression, StringComparison.Ordinal);
        Assert.Contains($"FILL({retried.Id}, 0) / {received.Id}", expression, StringComparison.Ordinal);
        Assert.All(new[] { received, retried }, m =>
        {
            Assert.Equal("Sum", m.Statistic);
            Assert.Equal(new Dictionary<string, string> { ["Service"] = consumer.Service }, m.Dimensions);
        });
    }

    [Theory]
    [MemberData(nameof(ConsumerNames))]
    public void PoisonAlarm_Synth_FiresOnAnyPoisonRecordOfTheConsumer(string consumerName)
    {
        var consumer = Paths.Consumer(consumerName);
        var alarm = Alarm(Stack, $"{consumerName}Poison");

        var poison = Stat(alarm, FanoutMetrics.Poison);

        Assert.Equal(0, alarm.GetProperty("Threshold").GetDouble());
        Assert.Equal("GreaterThanThreshold", alarm.GetProperty("ComparisonOperator").GetString());
        Assert.Equal("notBreaching", alarm.GetProperty("TreatMissingData").GetString());
        Assert.Equal("Sum", poison.Statistic);
        Assert.Equal(new Dictionary<string, string> { ["Service"] = consumer.Service }, poison.Dimensions);
    }

    [Theory]
    [MemberData(nameof(ConsumerNames))]
    public void DeliveryDriftAlarm_Synth_ComparesTheEventsItsFilterAcceptsWithWhatItsQueueReceived(string consumerName)
    {
        var consumer = Paths.Consumer(consumerName);
        var (queueId, _) = Stack.AtPath(Paths.Queue(consumerName));
        var alarm = Alarm(Stack, $"{consumerName}DeliveryDrift");

        var stats = Stats(alarm);
        var published = stats.Where(m => m.MetricName == FanoutMetrics.Published).ToList();
        var delivered = Assert.Single(stats, m => m.MetricName == "NumberOfMessagesSent");

        Assert.Equal(Monitoring.DeliveryDriftTolerance, alarm.GetProperty("Threshold").GetDouble());
        Assert.Equal("GreaterThanThreshold", alarm.GetProperty("ComparisonOperator").GetString());
        Assert.Equal("notBreaching", alarm.GetProperty("TreatMissingData").GetString());
        // One Published series per type the filter policy accepts, each from the service that publishes it.
        Assert.Equal(consumer.EventTypes.Order(), published.Select(m => m.Dimensions["EventType"]).Order());
        Assert.All(published, m =>
        {
            Assert.Equal(FanoutMetrics.Namespace, m.Namespace);
            Assert.Equal(Publisher[m.Dimensions["EventType"]], m.Dimensions["Service"]);
        });
        Assert.Equal("AWS/SQS", delivered.Namespace);
        Assert.Equal(queueId, delivered.DimensionTarget);
        Assert.All(stats, m => Assert.Equal("Sum", m.Statistic));
        // The absolute difference of their sum and the queue's count.
        var expression = Expression(alarm);
        var tail = $" - FILL({delivered.Id}, 0))";
        Assert.StartsWith("ABS(", expression, StringComparison.Ordinal);
        Assert.EndsWith(tail, expression, StringComparison.Ordinal);
        var terms = expression["ABS(".Length..^tail.Length].Split(" + ");
        Assert.Equal(published.Select(m => $"FILL({m.Id}, 0)").Order(), terms.Order());
    }

    [Fact]
    public void EndToEndAlarm_DefaultContext_FiresWhenOrderStatusP99PassesTheDefaultObjective()
    {
        var alarm = Alarm(Stack, "EndToEndLatency");

        var latency = Stat(alarm, FanoutMetrics.EndToEndLatency);

        Assert.Equal(StackSettings.DefaultEndToEndSloMs, alarm.GetProperty("Threshold").GetDouble());
        Assert.Equal(2000, StackSettings.DefaultEndToEndSloMs);
        Assert.Equal("GreaterThanThreshold", alarm.GetProperty("ComparisonOperator").GetString());
        Assert.Equal("p99", latency.Statistic);
        Assert.Equal(new Dictionary<string, string> { ["Service"] = FanoutTopology.OrderStatus.Service }, latency.Dimensions);
        Assert.Equal("ignore", alarm.GetProperty("EvaluateLowSampleCountPercentile").GetString());
        Assert.Equal("notBreaching", alarm.GetProperty("TreatMissingData").GetString());
    }

    [Fact]
    public void EndToEndAlarm_SloFromContext_UsesThatThreshold()
    {
        Assert.Equal(750, Alarm(TightSlo.Value, "EndToEndLatency").GetProperty("Threshold").GetDouble());
    }

    [Theory]
    [InlineData(99)]
    [InlineData("fast")]
    [InlineData(900_001)]
    public void Synth_BadEndToEndSlo_FailsNamingTheKeyAndTheRange(object slo)
    {
        var error = Assert.Throws<InfraConfigurationException>(() =>
            SynthesizedStack.Synthesize(new Dictionary<string, object> { [StackSettings.Keys.EndToEndSloMs] = slo }));

        Assert.Contains("endToEndSloMs must be a whole number from 100 to 900000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Synth_ConsumerOfATypeNoServicePublishes_FailsNamingTheType()
    {
        var orphan = FanoutTopology.Sms with { EventTypes = ["OrderTeleported"] };

        var error = Assert.Throws<TopologyException>(() => SynthesizedStack.Synthesize(
            consumers: [orphan, FanoutTopology.Email, FanoutTopology.Inventory, FanoutTopology.OrderStatus]));

        Assert.Contains("'OrderTeleported'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dashboard_Synth_ShowsQueueWaitAndProcessingTimeSideBySideForEachConsumer()
    {
        var widgets = Widgets(Stack);

        Assert.All(FanoutTopology.Consumers, consumer =>
        {
            var wait = Widget(widgets, $"{consumer.Service}: {FanoutMetrics.QueueWaitTime} (ms)");
            var processing = Widget(widgets, $"{consumer.Service}: {FanoutMetrics.ProcessingTime} (ms)");

            // Same row, processing right next to queue wait.
            Assert.Equal(wait.GetProperty("y").GetInt32(), processing.GetProperty("y").GetInt32());
            Assert.Equal(wait.GetProperty("x").GetInt32() + wait.GetProperty("width").GetInt32(), processing.GetProperty("x").GetInt32());
            Assert.Equal(["p50", "p99"], Series(wait, FanoutMetrics.QueueWaitTime, consumer.Service).Order());
            Assert.Equal(["p50", "p99"], Series(processing, FanoutMetrics.ProcessingTime, consumer.Service).Order());
        });
    }

    [Fact]
    public void Dashboard_Synth_ShowsRecordsDeliveriesEndToEndAndCapacityPerService()
    {
        var widgets = Widgets(Stack);
        var services = FanoutTopology.Functions.Select(f => f.Service ?? FanoutTopology.Consumers.Single(c => c.Function == f).Service).Distinct().ToList();

        Assert.All(FanoutTopology.Consumers, consumer =>
        {
            var records = Widget(widgets, $"{consumer.Service}: records per minute");
            foreach (var count in new[] { FanoutMetrics.Handled, FanoutMetrics.Duplicate, FanoutMetrics.Poison, FanoutMetrics.Retried, FanoutMetrics.Failed })
            {
                Assert.Equal(["Sum"], Series(records, count, consumer.Service));
            }

            var deliveries = Widget(widgets, $"{consumer.QueueName}: published vs delivered");
            Assert.Contains(deliveries.GetProperty("properties").GetProperty("metrics").EnumerateArray(),
                m => m.EnumerateArray().Any(p => p.ValueKind == JsonValueKind.String && p.GetString() == "NumberOfMessagesSent"));
        });
        Assert.Equal(["p99"], Series(Widget(widgets, $"{FanoutMetrics.EndToEndLatency} p99 (ms)"), FanoutMetrics.EndToEndLatency, FanoutTopology.OrderStatus.Service));
        Assert.All(services, service =>
        {
            Assert.Equal(["Sum"], Series(Widget(widgets, $"DynamoDB {FanoutMetrics.WriteUnits} per minute"), FanoutMetrics.WriteUnits, service));
            Assert.Equal(["Sum"], Series(Widget(widgets, $"DynamoDB {FanoutMetrics.ReadUnits} per minute"), FanoutMetrics.ReadUnits, service));
        });
    }

    private static JsonElement Alarm(SynthesizedStack stack, string id)
    {
        var name = $"{stack.StackName}-{id}";
        return Assert.Single(
            stack.Resources("AWS::CloudWatch::Alarm").Select(a => a.Resource.GetProperty("Properties")),
            a => a.GetProperty("AlarmName").GetString() == name);
    }

    private static string Expression(JsonElement alarm) =>
        Assert.Single(alarm.GetProperty("Metrics").EnumerateArray(), m => m.TryGetProperty("Expression", out _)).GetProperty("Expression").GetString()!;

    private static MetricStat Stat(JsonElement alarm, string metricName) => Assert.Single(Stats(alarm), m => m.MetricName == metricName);

    private static List<MetricStat> Stats(JsonElement alarm) =>
        alarm.GetProperty("Metrics").EnumerateArray().Where(m => m.TryGetProperty("MetricStat", out _)).Select(m =>
        {
            var stat = m.GetProperty("MetricStat");
            var metric = stat.GetProperty("Metric");
            var dimensions = metric.GetProperty("Dimensions").EnumerateArray().ToList();
            return new MetricStat(
                m.GetProperty("Id").GetString()!,
                metric.GetProperty("Namespace").GetString()!,
                metric.GetProperty("MetricName").GetString()!,
                stat.GetProperty("Stat").GetString()!,
                dimensions.Where(d => d.GetProperty("Value").ValueKind == JsonValueKind.String)
                    .ToDictionary(d => d.GetProperty("Name").GetString()!, d => d.GetProperty("Value").GetString()!),
                dimensions.Select(d => Cfn.Target(d.GetProperty("Value"))).FirstOrDefault(t => t is not null));
        }).ToList();

    /// <summary>The dashboard body parsed (references become <c>{logical id}</c> text).</summary>
    private static List<JsonElement> Widgets(SynthesizedStack stack)
    {
        var body = stack.AtPath(Paths.Dashboard).Resource.GetProperty("Properties").GetProperty("DashboardBody");
        using var document = JsonDocument.Parse(Cfn.JoinedText(body));
        return document.RootElement.Clone().GetProperty("widgets").EnumerateArray().ToList();
    }

    private static JsonElement Widget(List<JsonElement> widgets, string title) =>
        Assert.Single(widgets, w => w.GetProperty("properties").TryGetProperty("title", out var t) && t.GetString() == title);

    /// <summary>The statistics a graph shows of one Fanout metric of one service (dimension set [Service]); a graph
    /// metric is <c>[namespace, name, dimension, value, ..., {options}]</c>, or <c>[".", ...]</c> repeating the previous.</summary>
    private static List<string> Series(JsonElement widget, string metricName, string service)
    {
        var found = new List<string>();
        string?[] previous = [];
        foreach (var metric in widget.GetProperty("properties").GetProperty("metrics").EnumerateArray())
        {
            var parts = metric.EnumerateArray().ToList();
            var names = parts.Where(p => p.ValueKind == JsonValueKind.String).Select(p => p.GetString()).ToArray();
            for (var i = 0; i < names.Length && i < previous.Length; i++)
            {
                names[i] = names[i] == "." ? previous[i] : names[i];
            }

            previous = names;
            var options = parts.LastOrDefault(p => p.ValueKind == JsonValueKind.Object);
            if (names is [FanoutMetrics.Namespace, var name, "Service", var value] && name == metricName && value == service)
            {
                found.Add(options.ValueKind == JsonValueKind.Object && options.TryGetProperty("stat", out var stat) ? stat.GetString()! : "Average");
            }
        }

        return found;
    }

    private sealed record MetricStat(string Id, string Namespace, string MetricName, string Statistic, Dictionary<string, string> Dimensions, string? DimensionTarget);
}

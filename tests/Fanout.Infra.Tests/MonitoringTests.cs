using System.Text.Json;
using Fanout.Contracts.Topology;
using Fanout.Infra.Tests.Support;

namespace Fanout.Infra.Tests;

[Trait("Category", "Infra")]
public sealed class MonitoringTests
{
    private static SynthesizedStack Stack => SynthesizedStack.Default;

    private static List<JsonElement> Alarms(SynthesizedStack stack) =>
        stack.Resources("AWS::CloudWatch::Alarm").Select(a => a.Resource.GetProperty("Properties")).ToList();

    private static string? Dimension(JsonElement alarm) =>
        alarm.TryGetProperty("Dimensions", out var dimensions) ? Cfn.Target(dimensions[0].GetProperty("Value")) : null;

    [Fact]
    public void Alarms_Synth_AllNotifyTheEncryptedAlarmTopic()
    {
        var (topicId, topic) = Stack.AtPath(Paths.AlarmTopic);

        Assert.Equal(Stack.AtPath(Paths.Key).LogicalId, Cfn.Target(topic.GetProperty("Properties").GetProperty("KmsMasterKeyId")));
        Assert.All(Alarms(Stack), alarm =>
        {
            Assert.Equal([topicId], alarm.GetProperty("AlarmActions").EnumerateArray().Select(Cfn.Target));
            Assert.Equal([topicId], alarm.GetProperty("OKActions").EnumerateArray().Select(Cfn.Target));
        });
    }

    [Fact]
    public void AlarmTopic_Synth_LetsCloudWatchPublishAndUseTheKey()
    {
        var statements = Cfn.Statements(Stack.AtPath(Paths.AlarmTopicPolicy).Resource.GetProperty("Properties").GetProperty("PolicyDocument"));
        var keyStatements = Cfn.Statements(Stack.AtPath(Paths.Key).Resource.GetProperty("Properties").GetProperty("KeyPolicy"));

        Assert.Contains(statements, s => s.Effect == "Allow" && s.ServicePrincipal == "cloudwatch.amazonaws.com" && s.Actions.SequenceEqual(["sns:Publish"]));
        Assert.Contains(keyStatements, s => s.ServicePrincipal == "cloudwatch.amazonaws.com" && s.Actions.Contains("kms:GenerateDataKey"));
    }

    [Fact]
    public void Alarms_Synth_FireOnAnyMessageInEveryDeadLetterAndFailureQueue()
    {
        var dlqs = FanoutTopology.Consumers.SelectMany(c => new[]
        {
            Stack.AtPath(Paths.DeadLetterQueue(c.Function.Name)).Resource.GetProperty("Properties").GetProperty("QueueName").GetString(),
            Stack.AtPath(Paths.SubscriptionDeadLetterQueue(c.Function.Name)).Resource.GetProperty("Properties").GetProperty("QueueName").GetString(),
        }).ToHashSet();
        dlqs.Add(OutboxSpec.RelayFailureQueueName);
        dlqs.Add("fanout-reconciler-schedule-dlq");

        var alarmed = Alarms(Stack)
            .Where(a => Cfn.MetricName(a) == "ApproximateNumberOfMessagesVisible")
            .Select(a =>
            {
                Assert.Equal(1, a.GetProperty("Threshold").GetDouble());
                Assert.Equal("GreaterThanOrEqualToThreshold", a.GetProperty("ComparisonOperator").GetString());
                return QueueNameOf(Stack, a);
            })
            .ToHashSet();

        Assert.Equal(dlqs.Order(), alarmed.Order());
    }

    [Fact]
    public void Alarms_QueueAgeFromContext_WatchEachConsumerQueueAtThatThreshold()
    {
        var stack = SynthesizedStack.Synthesize(new Dictionary<string, object> { [StackSettings.Keys.QueueAgeAlarmSeconds] = 900 });

        var ages = Alarms(stack).Where(a => Cfn.MetricName(a) == "ApproximateAgeOfOldestMessage").ToList();

        Assert.Equal(FanoutTopology.Consumers.Select(c => c.QueueName).Order(), ages.Select(a => QueueNameOf(stack, a)).Order());
        Assert.All(ages, a => Assert.Equal(900, a.GetProperty("Threshold").GetDouble()));
    }

    [Fact]
    public void Alarms_Synth_WatchErrorsAndThrottlesOfEveryFunction()
    {
        var functions = FanoutTopology.Functions.Select(f => Stack.AtPath(Paths.LambdaFunction(f.Name)).LogicalId).Order().ToList();

        foreach (var metric in new[] { "Errors", "Throttles" })
        {
            var watched = Alarms(Stack).Where(a => Cfn.MetricName(a) == metric).ToList();
            Assert.All(watched, a => Assert.Equal("AWS/Lambda", a.GetProperty("Namespace").GetString()));
            Assert.Equal(functions, watched.Select(Dimension).Order());
        }
    }

    [Fact]
    public void Alarms_Synth_WatchFailedDeliveriesOfOrderEvents()
    {
        var (topicId, _) = Stack.AtPath(Paths.OrderEventsTopic);

        var failed = Assert.Single(Alarms(Stack), a => Cfn.MetricName(a) == "NumberOfNotificationsFailed");

        Assert.Equal("AWS/SNS", failed.GetProperty("Namespace").GetString());
        Assert.Contains(topicId, Cfn.TargetsWithin(failed.GetProperty("Dimensions")));
    }

    [Fact]
    public void AlarmEmail_Unset_SubscribesNobody()
    {
        Assert.DoesNotContain(Stack.Resources("AWS::SNS::Subscription"), s => s.Resource.GetProperty("Properties").GetProperty("Protocol").GetString() == "email");
    }

    [Fact]
    public void AlarmEmail_FromContext_SubscribesThatAddressToTheAlarmTopic()
    {
        var stack = SynthesizedStack.Synthesize(new Dictionary<string, object> { [StackSettings.Keys.AlarmEmail] = "oncall@example.com" });
        var (alarmTopicId, _) = stack.AtPath(Paths.AlarmTopic);

        var email = Assert.Single(stack.Resources("AWS::SNS::Subscription"), s => s.Resource.GetProperty("Properties").GetProperty("Protocol").GetString() == "email");

        Assert.Equal("oncall@example.com", email.Resource.GetProperty("Properties").GetProperty("Endpoint").GetString());
        Assert.Equal(alarmTopicId, Cfn.Target(email.Resource.GetProperty("Properties").GetProperty("TopicArn")));
    }

    [Fact]
    public void Dashboard_Synth_ShowsQueueDepthAndAgeDeadLetterQueuesAndFunctionDurationAndErrors()
    {
        var body = Stack.AtPath(Paths.Dashboard).Resource.GetProperty("Properties").GetProperty("DashboardBody");
        // The body is a Fn::Join of JSON text and references; the text carries titles and metric names.
        var text = string.Concat(body.GetProperty("Fn::Join")[1].EnumerateArray().Where(p => p.ValueKind == JsonValueKind.String).Select(p => p.GetString()));
        var references = Cfn.TargetsWithin(body);

        foreach (var expected in new[]
        {
            "Queue depth", "ApproximateNumberOfMessagesVisible", "Oldest message age", "ApproximateAgeOfOldestMessage",
            "Dead-letter queue depth", "Function duration", "Duration", "Function errors", "Errors",
        })
        {
            Assert.Contains(expected, text, StringComparison.Ordinal);
        }

        Assert.All(FanoutTopology.Functions, f => Assert.Contains(Stack.AtPath(Paths.LambdaFunction(f.Name)).LogicalId, references));
        var queues = QueueNamesIn(Stack, body).ToList();
        Assert.All(FanoutTopology.Consumers, c =>
        {
            Assert.Contains(c.QueueName, queues);
            Assert.Contains(c.DeadLetterQueueName, queues);
            Assert.Contains(c.SubscriptionDeadLetterQueueName, queues);
        });
    }

    /// <summary>Queue metrics are dimensioned by QueueName, which the template gives as the queue's GetAtt.</summary>
    private static string QueueNameOf(SynthesizedStack stack, JsonElement alarm)
    {
        var target = Cfn.Target(alarm.GetProperty("Dimensions")[0].GetProperty("Value"))!;
        return stack.Resource(target).GetProperty("Properties").GetProperty("QueueName").GetString()!;
    }

    private static IEnumerable<string> QueueNamesIn(SynthesizedStack stack, JsonElement body) =>
        Cfn.TargetsWithin(body)
            .Where(t => !t.StartsWith("AWS::", StringComparison.Ordinal))
            .Select(stack.Resource)
            .Where(r => r.GetProperty("Type").GetString() == "AWS::SQS::Queue")
            .Select(r => r.GetProperty("Properties").GetProperty("QueueName").GetString()!);
}

using System.Text.Json;
using Amazon.CDK.Assertions;
using Fanout.Contracts.Topology;
using Fanout.Infra.Tests.Support;

namespace Fanout.Infra.Tests;

/// <summary>The topic, the key, and every consumer's queues and subscription.</summary>
[Trait("Category", "Infra")]
public sealed class MessagingTests
{
    private static SynthesizedStack Stack => SynthesizedStack.Default;

    private static string KeyId => Stack.AtPath(Paths.Key).LogicalId;

    [Fact]
    public void OrderEventsTopic_Synth_IsNamedFromTopologyAndEncryptedWithTheCustomerManagedKey()
    {
        var (_, topic) = Stack.AtPath(Paths.OrderEventsTopic);
        var properties = topic.GetProperty("Properties");

        Assert.Equal(FanoutTopology.TopicName, properties.GetProperty("TopicName").GetString());
        // A Ref/GetAtt to the stack's own key, not an alias string such as alias/aws/sns.
        Assert.Equal(KeyId, Cfn.Target(properties.GetProperty("KmsMasterKeyId")));
    }

    [Theory]
    [InlineData(Paths.OrderEventsTopicPolicy, Paths.OrderEventsTopic)]
    [InlineData(Paths.AlarmTopicPolicy, Paths.AlarmTopic)]
    public void TopicPolicy_Synth_DeniesEveryRequestWithoutTls(string policyPath, string topicPath)
    {
        var (topicId, _) = Stack.AtPath(topicPath);
        var (_, policy) = Stack.AtPath(policyPath);
        var properties = policy.GetProperty("Properties");

        Assert.Equal(topicId, Cfn.Target(properties.GetProperty("Topics")[0]));
        var deny = Assert.Single(Cfn.Statements(properties.GetProperty("PolicyDocument")), s => s.Effect == "Deny");
        Assert.Equal(["sns:*"], deny.Actions);
        Assert.Equal("*", deny.Json.GetProperty("Principal").GetProperty("AWS").GetString());
        Assert.Equal("false", deny.Json.GetProperty("Condition").GetProperty("Bool").GetProperty("aws:SecureTransport").GetString());
    }

    [Fact]
    public void MessagingKey_Synth_RotatesAndLetsOnlySnsForOrderEventsAndCloudWatchUseIt()
    {
        var (_, key) = Stack.AtPath(Paths.Key);
        var properties = key.GetProperty("Properties");
        var statements = Cfn.Statements(properties.GetProperty("KeyPolicy"));

        Assert.True(properties.GetProperty("EnableKeyRotation").GetBoolean());
        Assert.All(statements, s => Assert.DoesNotContain(s.Actions, a => a == "*" || a == "kms:*"));
        var services = statements.Where(s => s.ServicePrincipal is not null).ToDictionary(s => s.ServicePrincipal!);
        Assert.Equal(["cloudwatch.amazonaws.com", "sns.amazonaws.com"], services.Keys.Order());
        Assert.Equal(["kms:Decrypt", "kms:GenerateDataKey"], services["sns.amazonaws.com"].Actions.Order());

        // SNS may use the key only on behalf of order-events (confused-deputy guard), named by ARN, not by
        // reference: the topic is encrypted with this key, so a reference would be a dependency cycle.
        var sourceArn = services["sns.amazonaws.com"].Json.GetProperty("Condition").GetProperty("ArnEquals").GetProperty("aws:SourceArn");
        Assert.EndsWith(":" + FanoutTopology.TopicName, sourceArn.GetProperty("Fn::Join")[1].EnumerateArray().Last().GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Cfn.TargetsWithin(properties.GetProperty("KeyPolicy")), t => !t.StartsWith("AWS::", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Paths.ConsumerNames), MemberType = typeof(Paths))]
    public void ConsumerQueue_Synth_IsNamedEncryptedAndRedrivesToItsDeadLetterQueue(string consumerName)
    {
        var consumer = Paths.Consumer(consumerName);
        var (dlqId, _) = Stack.AtPath(Paths.DeadLetterQueue(consumerName));

        Stack.Template.HasResourceProperties("AWS::SQS::Queue", Match.ObjectEquals(new Dictionary<string, object>
        {
            ["QueueName"] = consumer.QueueName,
            ["KmsMasterKeyId"] = new Dictionary<string, object> { ["Fn::GetAtt"] = new object[] { KeyId, "Arn" } },
            ["VisibilityTimeout"] = consumer.VisibilityTimeoutSeconds,
            ["MessageRetentionPeriod"] = consumer.MessageRetentionDays * 86_400,
            ["RedrivePolicy"] = new Dictionary<string, object>
            {
                ["deadLetterTargetArn"] = new Dictionary<string, object> { ["Fn::GetAtt"] = new object[] { dlqId, "Arn" } },
                ["maxReceiveCount"] = consumer.MaxReceiveCount,
            },
            ["Tags"] = Match.AnyValue(),
        }));
        Assert.Equal(5, consumer.MaxReceiveCount);
    }

    [Theory]
    [MemberData(nameof(Paths.ConsumerNames), MemberType = typeof(Paths))]
    public void DeadLetterQueues_Synth_AreEncryptedAndKeepMessagesFourteenDays(string consumerName)
    {
        var consumer = Paths.Consumer(consumerName);
        var fourteenDays = (int)TimeSpan.FromDays(consumer.DlqRetentionDays).TotalSeconds;

        foreach (var (path, name) in new[]
        {
            (Paths.DeadLetterQueue(consumerName), consumer.DeadLetterQueueName),
            (Paths.SubscriptionDeadLetterQueue(consumerName), consumer.SubscriptionDeadLetterQueueName),
        })
        {
            var properties = Stack.AtPath(path).Resource.GetProperty("Properties");
            Assert.Equal(name, properties.GetProperty("QueueName").GetString());
            Assert.Equal(KeyId, Cfn.Target(properties.GetProperty("KmsMasterKeyId")));
            Assert.Equal(fourteenDays, properties.GetProperty("MessageRetentionPeriod").GetInt32());
        }

        Assert.Equal(1_209_600, fourteenDays);
    }

    [Fact]
    public void EveryQueue_Synth_HasAPolicyDenyingRequestsWithoutTls()
    {
        var policies = Stack.Resources("AWS::SQS::QueuePolicy");
        var protectedQueues = policies
            .Where(p => Cfn.Statements(p.Resource.GetProperty("Properties").GetProperty("PolicyDocument")).Any(s =>
                s.Effect == "Deny" && s.Json.GetProperty("Condition").GetProperty("Bool").GetProperty("aws:SecureTransport").GetString() == "false"))
            .SelectMany(p => p.Resource.GetProperty("Properties").GetProperty("Queues").EnumerateArray().Select(q => Cfn.Target(q)!))
            .ToHashSet();

        Assert.Equal(Stack.Resources("AWS::SQS::Queue").Select(q => q.LogicalId).ToHashSet(), protectedQueues);
    }

    [Theory]
    [MemberData(nameof(Paths.ConsumerNames), MemberType = typeof(Paths))]
    public void QueuePolicy_Synth_LetsOnlyTheOrderEventsTopicSend(string consumerName)
    {
        var (topicId, _) = Stack.AtPath(Paths.OrderEventsTopic);
        var statements = Cfn.Statements(Stack.AtPath(Paths.QueuePolicy(consumerName)).Resource.GetProperty("Properties").GetProperty("PolicyDocument"));

        var allow = Assert.Single(statements, s => s.Effect == "Allow");
        Assert.Equal("sns.amazonaws.com", allow.ServicePrincipal);
        Assert.Equal(["sqs:SendMessage"], allow.Actions);
        Assert.Equal(topicId, Cfn.Target(allow.Json.GetProperty("Condition").GetProperty("ArnEquals").GetProperty("aws:SourceArn")));
    }

    [Theory]
    [MemberData(nameof(Paths.ConsumerNames), MemberType = typeof(Paths))]
    public void Subscription_Synth_DeliversRawFilteredOnTypeWithItsOwnDeadLetterQueue(string consumerName)
    {
        var consumer = Paths.Consumer(consumerName);
        var (queueId, _) = Stack.AtPath(Paths.Queue(consumerName));
        var (subscriptionDlqId, _) = Stack.AtPath(Paths.SubscriptionDeadLetterQueue(consumerName));
        var (topicId, _) = Stack.AtPath(Paths.OrderEventsTopic);
        var properties = Stack.AtPath(Paths.Subscription(consumerName)).Resource.GetProperty("Properties");

        Assert.Equal("sqs", properties.GetProperty("Protocol").GetString());
        Assert.Equal(topicId, Cfn.Target(properties.GetProperty("TopicArn")));
        Assert.Equal(queueId, Cfn.Target(properties.GetProperty("Endpoint")));
        Assert.True(properties.GetProperty("RawMessageDelivery").GetBoolean());
        Assert.Equal("MessageAttributes", properties.GetProperty("FilterPolicyScope").GetString());
        Assert.Equal(subscriptionDlqId, Cfn.Target(properties.GetProperty("RedrivePolicy").GetProperty("deadLetterTargetArn")));

        // Exactly the topology's filter, so the local harness and AWS let the same events through.
        using var expected = JsonDocument.Parse(consumer.FilterPolicyJson);
        Assert.True(JsonElement.DeepEquals(expected.RootElement, properties.GetProperty("FilterPolicy")),
            $"FilterPolicy {properties.GetProperty("FilterPolicy")} differs from the topology's {consumer.FilterPolicyJson}");
        Assert.Equal(consumer.EventTypes, properties.GetProperty("FilterPolicy").GetProperty("type").EnumerateArray().Select(t => t.GetString()));
    }

    [Theory]
    [MemberData(nameof(Paths.ConsumerNames), MemberType = typeof(Paths))]
    public void SubscriptionDeadLetterQueue_Synth_AcceptsMessagesOnlyFromTheTopic(string consumerName)
    {
        var (dlqId, _) = Stack.AtPath(Paths.SubscriptionDeadLetterQueue(consumerName));
        var (topicId, _) = Stack.AtPath(Paths.OrderEventsTopic);
        var policy = Stack.Resources("AWS::SQS::QueuePolicy")
            .Single(p => Cfn.Target(p.Resource.GetProperty("Properties").GetProperty("Queues")[0]) == dlqId);

        var allow = Assert.Single(Cfn.Statements(policy.Resource.GetProperty("Properties").GetProperty("PolicyDocument")), s => s.Effect == "Allow");
        Assert.Equal(["sqs:SendMessage"], allow.Actions);
        Assert.Equal(topicId, Cfn.Target(allow.Json.GetProperty("Condition").GetProperty("ArnEquals").GetProperty("aws:SourceArn")));
    }
}

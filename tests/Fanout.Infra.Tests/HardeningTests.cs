using System.Globalization;
using System.Text.Json;
using Fanout.Contracts.Configuration;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Sqs;
using Fanout.Infra.Tests.Support;
using Fanout.Orders;

namespace Fanout.Infra.Tests;

/// <summary>Issue 7's infrastructure: messages kept as long as SQS allows, idempotency records that outlive them,
/// the consumers' retry backoff (settings and the one permission it needs), and the narrowed grants: SMS to phone
/// numbers only, OrderStatus to its own items only, CloudWatch's key use to this account only.</summary>
[Trait("Category", "Infra")]
public sealed class HardeningTests
{
    private const int SecondsPerDay = 86_400;

    private static readonly string OrderStatus = FanoutTopology.OrderStatus.Function.Name;

    private static readonly string Sms = FanoutTopology.Sms.Function.Name;

    private static SynthesizedStack Stack => SynthesizedStack.Default;

    private static Lazy<SynthesizedStack> SmsViaSns { get; } = new(() => SynthesizedStack.Synthesize(new Dictionary<string, object>
    {
        [StackSettings.Keys.SmsSender] = "sns",
    }));

    private static IReadOnlyList<PolicyStatement> RoleStatements(SynthesizedStack stack, string functionName) =>
        Cfn.Statements(stack.AtPath(Paths.RolePolicy(functionName)).Resource.GetProperty("Properties").GetProperty("PolicyDocument"));

    private static JsonElement Variables(SynthesizedStack stack, string functionName) =>
        stack.AtPath(Paths.LambdaFunction(functionName)).Resource.GetProperty("Properties").GetProperty("Environment").GetProperty("Variables");

    private static List<ConsumerSpec> Replace(ConsumerSpec original, ConsumerSpec replacement) =>
        FanoutTopology.Consumers.Select(c => c == original ? replacement : c).ToList();

    [Theory]
    [MemberData(nameof(Paths.ConsumerNames), MemberType = typeof(Paths))]
    public void MainQueue_Synth_KeepsMessagesFourteenDaysNotTheFourDayDefault(string consumerName)
    {
        var properties = Stack.AtPath(Paths.Queue(consumerName)).Resource.GetProperty("Properties");

        Assert.Equal(14 * SecondsPerDay, properties.GetProperty("MessageRetentionPeriod").GetInt32());
        Assert.Equal(Paths.Consumer(consumerName).MessageRetentionDays * SecondsPerDay, properties.GetProperty("MessageRetentionPeriod").GetInt32());
    }

    [Fact]
    public void MainQueue_TopologyRetentionChanged_FollowsTheTopology()
    {
        var stack = SynthesizedStack.Synthesize(consumers: Replace(FanoutTopology.Inventory, FanoutTopology.Inventory with { MessageRetentionDays = 10 }));

        var inventory = stack.AtPath(Paths.Queue(FanoutTopology.Inventory.Function.Name)).Resource.GetProperty("Properties");
        var sms = stack.AtPath(Paths.Queue(Sms)).Resource.GetProperty("Properties");
        Assert.Equal(10 * SecondsPerDay, inventory.GetProperty("MessageRetentionPeriod").GetInt32());
        Assert.Equal(14 * SecondsPerDay, sms.GetProperty("MessageRetentionPeriod").GetInt32());
    }

    [Theory]
    [MemberData(nameof(Paths.ConsumerNames), MemberType = typeof(Paths))]
    public void ConsumerFunction_Synth_KeepsIdempotencyRecordsForTheTopologysRetentionLongerThanAMessageLives(string consumerName)
    {
        var consumer = Paths.Consumer(consumerName);

        var ttlDays = int.Parse(Variables(Stack, consumerName).GetProperty(SettingNames.IdempotencyTtlDays).GetString()!, CultureInfo.InvariantCulture);

        Assert.Equal(FanoutTopology.IdempotencyRetentionDays, ttlDays);
        Assert.Equal(30, ttlDays);
        // Queue, then DLQ, then a redrive: 28 days at most with today's topology.
        Assert.True(ttlDays > consumer.MaxMessageLifeDays, $"TTL {ttlDays}d must exceed a message's longest life {consumer.MaxMessageLifeDays}d");
    }

    [Theory]
    [MemberData(nameof(Paths.ConsumerNames), MemberType = typeof(Paths))]
    public void ConsumerFunction_Synth_GetsItsRetryBackoffBaseAndCap(string consumerName)
    {
        var variables = Variables(Stack, consumerName);

        Assert.Equal("2", variables.GetProperty(SettingNames.RetryBackoffBaseSeconds).GetString());
        Assert.Equal("300", variables.GetProperty(SettingNames.RetryBackoffCapSeconds).GetString());
    }

    [Fact]
    public void ConsumerFunction_TopologyBackoffChanged_GetsTheTopologysValuesAndOthersKeepTheirs()
    {
        var inventory = FanoutTopology.Inventory with { RetryBackoffBaseSeconds = 5, RetryBackoffCapSeconds = 1_200 };

        var stack = SynthesizedStack.Synthesize(consumers: Replace(FanoutTopology.Inventory, inventory));

        var changed = Variables(stack, inventory.Function.Name);
        Assert.Equal("5", changed.GetProperty(SettingNames.RetryBackoffBaseSeconds).GetString());
        Assert.Equal("1200", changed.GetProperty(SettingNames.RetryBackoffCapSeconds).GetString());
        Assert.Equal("300", Variables(stack, Sms).GetProperty(SettingNames.RetryBackoffCapSeconds).GetString());
    }

    [Fact]
    public void OrderIntake_Synth_GetsNoConsumerSettings()
    {
        var variables = Variables(Stack, FanoutTopology.OrderIntake.Name);

        Assert.False(variables.TryGetProperty(SettingNames.RetryBackoffBaseSeconds, out _));
        Assert.False(variables.TryGetProperty(SettingNames.RetryBackoffCapSeconds, out _));
        Assert.False(variables.TryGetProperty(SettingNames.IdempotencyTtlDays, out _));
    }

    [Theory]
    [MemberData(nameof(Paths.ConsumerNames), MemberType = typeof(Paths))]
    public void ConsumerRole_Synth_MayChangeVisibilityOnItsOwnQueueOnly(string consumerName)
    {
        var (ownQueue, _) = Stack.AtPath(Paths.Queue(consumerName));

        var visibility = Assert.Single(RoleStatements(Stack, consumerName), s => s.Actions.Contains("sqs:ChangeMessageVisibility"));

        Assert.Equal("DelayRetriesOnOwnQueue", visibility.Sid);
        Assert.Equal("Allow", visibility.Effect);
        Assert.Equal(["sqs:ChangeMessageVisibility"], visibility.Actions);
        Assert.Equal([ownQueue], visibility.Resources.Select(r => Cfn.Target(r)));
        Assert.Null(visibility.Condition);
        // No other function may delay this queue's messages.
        Assert.All(FanoutTopology.Functions.Where(f => f.Name != consumerName), other =>
            Assert.DoesNotContain(RoleStatements(Stack, other.Name), s =>
                s.Actions.Contains("sqs:ChangeMessageVisibility") && s.Resources.Any(r => Cfn.Target(r) == ownQueue)));
    }

    [Fact]
    public void SmsRole_SnsSender_PublishesToPhoneNumbersUnderAStatementNoTopicArnMatches()
    {
        var statements = RoleStatements(SmsViaSns.Value, Sms);

        var phones = Assert.Single(statements, s => s.Sid == "SendSmsToPhoneNumbersOnly");
        Assert.Equal("Allow", phones.Effect);
        Assert.Equal(["sns:Publish"], phones.Actions);
        Assert.Empty(phones.Resources);
        var notResource = Assert.Single(phones.NotResources);
        foreach (var (partition, region) in new[] { ("aws", "eu-west-1"), ("aws-cn", "cn-north-1"), ("aws-us-gov", "us-gov-west-1") })
        {
            var excluded = IamPattern.Resolve(notResource, partition);
            Assert.Equal($"arn:{partition}:sns:*:*:*", excluded);
            // Every topic (this stack's, another stack's, another account's) and push endpoint is excluded.
            Assert.All(
                new[]
                {
                    $"arn:{partition}:sns:{region}:123456789012:{FanoutTopology.TopicName}",
                    $"arn:{partition}:sns:{region}:123456789012:Fanout-MonitoringAlarmTopic-1A2B3C",
                    $"arn:{partition}:sns:{region}:210987654321:someone-elses-topic",
                    $"arn:{partition}:sns:{region}:123456789012:endpoint/GCM/app/5f1e0c2a-7c4b-4b8e-9f0e-2d1c3b4a5e6f",
                },
                arn => Assert.True(IamPattern.Matches(excluded, arn), $"{arn} must fall outside the phone-number statement"));
        }
    }

    [Fact]
    public void SmsRole_SnsSender_StillPublishesOutcomesToOrderEventsOnlyAndDeniesNothing()
    {
        var stack = SmsViaSns.Value;
        var (topicId, _) = stack.AtPath(Paths.OrderEventsTopic);
        var statements = RoleStatements(stack, Sms);

        var publish = statements.Where(s => s.Actions.Contains("sns:Publish")).ToList();

        Assert.Equal(2, publish.Count);
        var outcomes = Assert.Single(publish, s => s.Resources.Count > 0);
        Assert.Equal([topicId], outcomes.Resources.Select(r => Cfn.Target(r)));
        Assert.Empty(outcomes.NotResources);
        // A Deny on topics would also have blocked the outcomes.
        Assert.DoesNotContain(statements, s => s.Effect == "Deny");
        Assert.DoesNotContain(statements, s => s.HasWildcardResource && !s.IsTraceWrite);
    }

    [Fact]
    public void Roles_DefaultSenders_HaveNoNotResourceStatement()
    {
        Assert.DoesNotContain(LeastPrivilegeTests.AllPolicyStatements(Stack), s => s.NotResources.Count > 0);
        Assert.All(FanoutTopology.Functions.Where(f => f.Name != Sms), f =>
            Assert.DoesNotContain(RoleStatements(SmsViaSns.Value, f.Name), s => s.NotResources.Count > 0));
    }

    [Fact]
    public void OrderStatusRole_Synth_TouchesOnlyOrderAndFailureItems()
    {
        var table = Assert.Single(RoleStatements(Stack, OrderStatus), s => s.Actions.Any(a => a.StartsWith("dynamodb:", StringComparison.Ordinal)));
        var condition = Assert.NotNull(table.Condition);

        var patterns = condition.GetProperty("ForAllValues:StringLike").GetProperty("dynamodb:LeadingKeys").EnumerateArray().Select(p => p.GetString()!).ToList();
        Assert.Equal(["ORDER#*", "FAILURE#*"], patterns);
        // ForAllValues passes an empty set; the Null test refuses a request without a partition key.
        Assert.Equal("false", condition.GetProperty("Null").GetProperty("dynamodb:LeadingKeys").GetString());
        Assert.Equal(2, condition.EnumerateObject().Count());
    }

    [Fact]
    public void OrderStatusItemScope_Synth_MatchesWhatItsCodeWritesAndNothingElse()
    {
        var table = Assert.Single(RoleStatements(Stack, OrderStatus), s => s.Actions.Any(a => a.StartsWith("dynamodb:", StringComparison.Ordinal)));
        var patterns = table.Condition!.Value.GetProperty("ForAllValues:StringLike").GetProperty("dynamodb:LeadingKeys")
            .EnumerateArray().Select(p => p.GetString()!).ToList();
        bool Allowed(string key) => patterns.Any(p => IamPattern.Matches(p, key));

        // The prefixes the order store and the failure recorder really use.
        Assert.True(Allowed(DynamoOrderStore.OrderPrefix + "01J9Z3Q8K2M4N6P8R0S2T4V6W8"));
        Assert.True(Allowed(DynamoFailureRecorder.KeyPrefix + "059f36b4-87a3-44ab-83d2-661975830a7d"));
        // Items of other kinds (the old idempotency-key prefix, anything unprefixed) stay out of reach.
        Assert.False(Allowed("IDEMPOTENCY#client-key-1"));
        Assert.False(Allowed("EVENT#3f1c"));
        Assert.False(Allowed("order#lowercase"));
        Assert.False(Allowed("X" + DynamoOrderStore.OrderPrefix + "1"));
    }

    [Theory]
    [MemberData(nameof(Paths.ConsumerNames), MemberType = typeof(Paths))]
    public void ConsumerRole_Synth_OnlyOrderStatusIsLimitedToSomeItemsOfItsTable(string functionName)
    {
        var table = Assert.Single(RoleStatements(Stack, functionName), s => s.Actions.Any(a => a.StartsWith("dynamodb:", StringComparison.Ordinal)));

        // OrderStatus writes into the orders table, which the order service owns; the other consumers own theirs.
        Assert.Equal(functionName == OrderStatus, table.Condition is not null);
    }

    [Fact]
    public void MessagingKey_Synth_LetsCloudWatchUseItOnlyForThisAccount()
    {
        var statements = Cfn.Statements(Stack.AtPath(Paths.Key).Resource.GetProperty("Properties").GetProperty("KeyPolicy"));

        var cloudWatch = Assert.Single(statements, s => s.ServicePrincipal == "cloudwatch.amazonaws.com");

        Assert.Equal(["kms:Decrypt", "kms:GenerateDataKey"], cloudWatch.Actions.Order());
        var condition = Assert.NotNull(cloudWatch.Condition);
        var sourceAccount = condition.GetProperty("StringEquals").GetProperty("aws:SourceAccount");
        Assert.Equal("AWS::AccountId", sourceAccount.GetProperty("Ref").GetString());
        Assert.Single(condition.EnumerateObject());
    }
}

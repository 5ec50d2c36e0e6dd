using System.Text.Json;
using Fanout.Contracts.Configuration;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Sqs;
using Fanout.Infra.Tests.Support;
using Fanout.Orders;
using Fanout.Orders.Outbox;

namespace Fanout.Infra.Tests;

/// <summary>Issue 9's infrastructure: the orders table's stream and open-orders index, the outbox relay (its filtered
/// stream mapping, failure queue and alarm), the reconciler (its schedule, the schedule's role and DLQ, the
/// stuck-order alarm and threshold), the item scopes of every function on the orders table, and the subscriptions
/// of the new event types.</summary>
[Trait("Category", "Infra")]
public sealed class OutboxInfraTests
{
    private static readonly string Relay = FanoutTopology.OutboxRelay.Name;

    private static readonly string Reconciler = FanoutTopology.Reconciler.Name;

    private static readonly string Intake = FanoutTopology.OrderIntake.Name;

    private static SynthesizedStack Stack => SynthesizedStack.Default;

    private static string OrdersTableId => Stack.AtPath(Paths.Table(FanoutTopology.OrdersTable)).LogicalId;

    private static JsonElement Properties(SynthesizedStack stack, string path) => stack.AtPath(path).Resource.GetProperty("Properties");

    private static IReadOnlyList<PolicyStatement> RoleStatements(SynthesizedStack stack, string functionName) =>
        Cfn.Statements(Properties(stack, Paths.RolePolicy(functionName)).GetProperty("PolicyDocument"));

    private static JsonElement Variables(SynthesizedStack stack, string functionName) =>
        Properties(stack, Paths.LambdaFunction(functionName)).GetProperty("Environment").GetProperty("Variables");

    private static List<string> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToList();

    private static string GetAtt(JsonElement value, string attribute)
    {
        var getAtt = value.GetProperty("Fn::GetAtt");
        Assert.Equal(attribute, getAtt[1].GetString());
        return getAtt[0].GetString()!;
    }

    private static List<string> LeadingKeys(PolicyStatement statement)
    {
        var condition = Assert.NotNull(statement.Condition);
        Assert.Equal("false", condition.GetProperty("Null").GetProperty("dynamodb:LeadingKeys").GetString());
        Assert.Equal(2, condition.EnumerateObject().Count());
        return Strings(condition.GetProperty("ForAllValues:StringLike").GetProperty("dynamodb:LeadingKeys"));
    }

    // ---- The orders table: stream and sparse index ----

    [Fact]
    public void OrdersTable_Synth_StreamsNewImagesAndHasTheSparseOpenOrdersIndex()
    {
        var properties = Properties(Stack, Paths.Table(FanoutTopology.OrdersTable));

        Assert.Equal("NEW_IMAGE", properties.GetProperty("StreamSpecification").GetProperty("StreamViewType").GetString());
        var index = Assert.Single(properties.GetProperty("GlobalSecondaryIndexes").EnumerateArray());
        Assert.Equal("open-orders", index.GetProperty("IndexName").GetString());
        Assert.Equal(ReconcilerSpec.OpenOrdersIndex, index.GetProperty("IndexName").GetString());
        var keys = index.GetProperty("KeySchema").EnumerateArray().Select(k => (k.GetProperty("AttributeName").GetString(), k.GetProperty("KeyType").GetString())).ToList();
        Assert.Equal([("openShard", "HASH"), ("openSince", "RANGE")], keys);
        // The reconciler reads each stuck order's pending envelope from the query itself.
        Assert.Equal("KEYS_ONLY", index.GetProperty("Projection").GetProperty("ProjectionType").GetString());
        var attributes = properties.GetProperty("AttributeDefinitions").EnumerateArray()
            .ToDictionary(a => a.GetProperty("AttributeName").GetString()!, a => a.GetProperty("AttributeType").GetString());
        Assert.Equal(new Dictionary<string, string?> { ["pk"] = "S", ["openShard"] = "S", ["openSince"] = "S" }, attributes);
        // On demand: the index has no capacity of its own to set.
        Assert.False(index.TryGetProperty("ProvisionedThroughput", out _));
    }

    [Theory]
    [MemberData(nameof(Paths.TableIds), MemberType = typeof(Paths))]
    public void OtherTables_Synth_HaveNoStreamAndNoIndex(string tableId)
    {
        var table = FanoutTopology.Tables.Single(t => t.Id == tableId);
        var properties = Properties(Stack, Paths.Table(table));

        var isOrders = table == FanoutTopology.OrdersTable;
        Assert.Equal(isOrders, properties.TryGetProperty("StreamSpecification", out _));
        Assert.Equal(isOrders, properties.TryGetProperty("GlobalSecondaryIndexes", out _));
    }

    // ---- The outbox relay ----

    [Fact]
    public void RelayMapping_Synth_ReadsTheOrdersStreamFromTheTrimHorizonInBisectedRetriedBatches()
    {
        var (lambdaId, _) = Stack.AtPath(Paths.LambdaFunction(Relay));
        var (failureQueueId, _) = Stack.AtPath(Paths.RelayFailureQueue);
        var properties = Properties(Stack, Paths.RelayMapping);

        Assert.Equal(OrdersTableId, GetAtt(properties.GetProperty("EventSourceArn"), "StreamArn"));
        Assert.Equal(lambdaId, Cfn.Target(properties.GetProperty("FunctionName")));
        Assert.Equal("TRIM_HORIZON", properties.GetProperty("StartingPosition").GetString());
        Assert.Equal(100, properties.GetProperty("BatchSize").GetInt32());
        Assert.Equal(OutboxSpec.RelayBatchSize, properties.GetProperty("BatchSize").GetInt32());
        Assert.True(properties.GetProperty("BisectBatchOnFunctionError").GetBoolean());
        Assert.Equal(["ReportBatchItemFailures"], Strings(properties.GetProperty("FunctionResponseTypes")));
        Assert.Equal(10, properties.GetProperty("MaximumRetryAttempts").GetInt32());
        Assert.Equal(OutboxSpec.RelayMaximumRetryAttempts, properties.GetProperty("MaximumRetryAttempts").GetInt32());
        Assert.Equal(3600, properties.GetProperty("MaximumRecordAgeInSeconds").GetInt32());
        Assert.Equal(OutboxSpec.RelayMaximumRecordAgeSeconds, properties.GetProperty("MaximumRecordAgeInSeconds").GetInt32());
        Assert.Equal(failureQueueId, GetAtt(properties.GetProperty("DestinationConfig").GetProperty("OnFailure").GetProperty("Destination"), "Arn"));
    }

    [Fact]
    public void RelayMapping_Synth_PassesOnlyInsertsOfOutboxAndOrderKeys()
    {
        var filters = Properties(Stack, Paths.RelayMapping).GetProperty("FilterCriteria").GetProperty("Filters");

        var pattern = Assert.Single(filters.EnumerateArray()).GetProperty("Pattern").GetString()!;

        Assert.Equal("{\"eventName\":[\"INSERT\"],\"dynamodb\":{\"Keys\":{\"pk\":{\"S\":[{\"prefix\":\"OUTBOX#\"},{\"prefix\":\"ORDER#\"}]}}}}", pattern);
        using var parsed = JsonDocument.Parse(pattern);
        var prefixes = parsed.RootElement.GetProperty("dynamodb").GetProperty("Keys").GetProperty(FanoutTopology.PartitionKey)
            .GetProperty("S").EnumerateArray().Select(p => p.GetProperty("prefix").GetString()).ToList();
        Assert.Equal([OutboxSpec.KeyPrefix, OutboxSpec.OrderKeyPrefix], prefixes);
        // What the intake writes for an entry and for an order starts with a prefix the filter passes.
        Assert.StartsWith(OutboxSpec.KeyPrefix, DynamoOutbox.KeyFor("3f1c2a9e"), StringComparison.Ordinal);
        Assert.Equal(DynamoOrderStore.OrderPrefix, OutboxSpec.OrderKeyPrefix);
    }

    [Fact]
    public void RelayMapping_Synth_IsCreatedAfterTheRoleMayReadTheStream()
    {
        var (policyId, _) = Stack.AtPath(Paths.RolePolicy(Relay));

        Assert.Contains(policyId, Strings(Stack.AtPath(Paths.RelayMapping).Resource.GetProperty("DependsOn")));
    }

    [Fact]
    public void RelayFailureQueue_Synth_IsNamedEncryptedAndKeepsMessagesFourteenDays()
    {
        var properties = Properties(Stack, Paths.RelayFailureQueue);

        Assert.Equal("fanout-outbox-relay-failures", properties.GetProperty("QueueName").GetString());
        Assert.Equal(OutboxSpec.RelayFailureQueueName, properties.GetProperty("QueueName").GetString());
        Assert.Equal(Stack.AtPath(Paths.Key).LogicalId, Cfn.Target(properties.GetProperty("KmsMasterKeyId")));
        Assert.Equal(1_209_600, properties.GetProperty("MessageRetentionPeriod").GetInt32());
    }

    [Fact]
    public void RelayRole_Synth_ReadsTheStreamSendsFailuresAndTouchesOnlyOutboxEntries()
    {
        var (failureQueueId, _) = Stack.AtPath(Paths.RelayFailureQueue);
        var statements = RoleStatements(Stack, Relay);

        var stream = Assert.Single(statements, s => s.Sid == "ReadOrdersStream");
        Assert.Equal(["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"], stream.Actions.Order());
        Assert.Equal(OrdersTableId, GetAtt(Assert.Single(stream.Resources), "StreamArn"));

        var send = Assert.Single(statements, s => s.Actions.Any(a => a.StartsWith("sqs:", StringComparison.Ordinal)));
        Assert.Equal(["sqs:SendMessage"], send.Actions);
        Assert.Equal(failureQueueId, GetAtt(Assert.Single(send.Resources), "Arn"));

        // Reads outbox entries and orders (a new order owes its OrderPlaced until an outcome is applied); deletes
        // only outbox entries.
        var reads = Assert.Single(statements, s => s.Sid == "ReadOutboxEntriesAndOrders");
        Assert.Equal(["dynamodb:GetItem"], reads.Actions);
        var readable = LeadingKeys(reads);
        Assert.Equal(["OUTBOX#*", "ORDER#*"], readable);
        Assert.True(IamPattern.Matches(readable[0], DynamoOutbox.KeyFor("3f1c2a9e")));
        Assert.True(IamPattern.Matches(readable[1], DynamoOrderStore.OrderPrefix + "01J9Z3Q8K2"));
        Assert.DoesNotContain(readable, p => IamPattern.Matches(p, "IDEMPOTENCY#client-key-1"));
        var deletes = Assert.Single(statements, s => s.Sid == "DeletePublishedOutboxEntries");
        Assert.Equal(["dynamodb:DeleteItem"], deletes.Actions);
        var deletable = LeadingKeys(deletes);
        Assert.Equal(["OUTBOX#*"], deletable);
        Assert.False(IamPattern.Matches(deletable[0], DynamoOrderStore.OrderPrefix + "01J9Z3Q8K2"));
    }

    // ---- The reconciler ----

    [Fact]
    public void Schedule_Synth_InvokesTheReconcilerEveryFiveMinutesWithRetriesAndADeadLetterQueue()
    {
        var (lambdaId, _) = Stack.AtPath(Paths.LambdaFunction(Reconciler));
        var (roleId, _) = Stack.AtPath(Paths.ScheduleRole);
        var (dlqId, _) = Stack.AtPath(Paths.ScheduleDeadLetterQueue);
        var properties = Properties(Stack, Paths.Schedule);

        Assert.Equal("rate(5 minutes)", properties.GetProperty("ScheduleExpression").GetString());
        Assert.Equal($"rate({ReconcilerSpec.ScheduleMinutes} minutes)", properties.GetProperty("ScheduleExpression").GetString());
        Assert.Equal("OFF", properties.GetProperty("FlexibleTimeWindow").GetProperty("Mode").GetString());
        Assert.Equal("ENABLED", properties.GetProperty("State").GetString());
        var target = properties.GetProperty("Target");
        Assert.Equal(lambdaId, GetAtt(target.GetProperty("Arn"), "Arn"));
        Assert.Equal(roleId, GetAtt(target.GetProperty("RoleArn"), "Arn"));
        Assert.Equal("{}", target.GetProperty("Input").GetString());
        Assert.Equal(3, target.GetProperty("RetryPolicy").GetProperty("MaximumRetryAttempts").GetInt32());
        Assert.Equal(300, target.GetProperty("RetryPolicy").GetProperty("MaximumEventAgeInSeconds").GetInt32());
        Assert.Equal(dlqId, GetAtt(target.GetProperty("DeadLetterConfig").GetProperty("Arn"), "Arn"));
    }

    [Fact]
    public void ScheduleRole_Synth_IsAssumableOnlyBySchedulerForThisAccountAndInvokesOnlyTheReconciler()
    {
        var (lambdaId, _) = Stack.AtPath(Paths.LambdaFunction(Reconciler));
        var (dlqId, _) = Stack.AtPath(Paths.ScheduleDeadLetterQueue);
        var (keyId, _) = Stack.AtPath(Paths.Key);

        var trust = Assert.Single(Cfn.Statements(Properties(Stack, Paths.ScheduleRole).GetProperty("AssumeRolePolicyDocument")));
        Assert.Equal("scheduler.amazonaws.com", trust.ServicePrincipal);
        Assert.Equal(["sts:AssumeRole"], trust.Actions);
        Assert.Equal("AWS::AccountId", trust.Condition!.Value.GetProperty("StringEquals").GetProperty("aws:SourceAccount").GetProperty("Ref").GetString());

        var statements = Cfn.Statements(Properties(Stack, Paths.ScheduleRolePolicy).GetProperty("PolicyDocument"));
        var bySid = statements.ToDictionary(s => s.Sid!);
        Assert.Equal(["EncryptForDeadLetterQueue", "InvokeReconciler", "SendMissedRunsToDeadLetterQueue"], bySid.Keys.Order());
        Assert.Equal(["lambda:InvokeFunction"], bySid["InvokeReconciler"].Actions);
        Assert.Equal(lambdaId, GetAtt(Assert.Single(bySid["InvokeReconciler"].Resources), "Arn"));
        Assert.Equal(["sqs:SendMessage"], bySid["SendMissedRunsToDeadLetterQueue"].Actions);
        Assert.Equal(dlqId, GetAtt(Assert.Single(bySid["SendMissedRunsToDeadLetterQueue"].Resources), "Arn"));
        Assert.Equal(["kms:Decrypt", "kms:GenerateDataKey"], bySid["EncryptForDeadLetterQueue"].Actions.Order());
        Assert.Equal(keyId, Cfn.Target(Assert.Single(bySid["EncryptForDeadLetterQueue"].Resources)));
        // No other role may invoke the reconciler.
        Assert.DoesNotContain(
            LeastPrivilegeTests.AllPolicyStatements(Stack).Where(s => !statements.Any(own => own.Json.GetRawText() == s.Json.GetRawText())),
            s => s.Actions.Contains("lambda:InvokeFunction"));
    }

    [Fact]
    public void ScheduleDeadLetterQueue_Synth_IsNamedEncryptedAndKeepsMessagesFourteenDays()
    {
        var properties = Properties(Stack, Paths.ScheduleDeadLetterQueue);

        Assert.Equal("fanout-reconciler-schedule-dlq", properties.GetProperty("QueueName").GetString());
        Assert.Equal(Stack.AtPath(Paths.Key).LogicalId, Cfn.Target(properties.GetProperty("KmsMasterKeyId")));
        Assert.Equal(1_209_600, properties.GetProperty("MessageRetentionPeriod").GetInt32());
    }

    [Fact]
    public void NewQueues_Synth_AreReadByNoFunctionSoNoVisibilityRuleApplies()
    {
        var newQueues = new[] { Stack.AtPath(Paths.RelayFailureQueue).LogicalId, Stack.AtPath(Paths.ScheduleDeadLetterQueue).LogicalId };

        var sources = Stack.Resources("AWS::Lambda::EventSourceMapping")
            .SelectMany(m => Cfn.TargetsWithin(m.Resource.GetProperty("Properties").GetProperty("EventSourceArn")))
            .ToList();

        // They hold failures for people to read; only the consumer queues are drained by Lambda.
        Assert.Equal(FanoutTopology.Consumers.Count + 1, sources.Count);
        Assert.All(newQueues, q => Assert.DoesNotContain(q, sources));
    }

    [Fact]
    public void ReconcilerRole_Synth_QueriesOnlyTheIndexReadsOrdersAndEntriesDeletesOnlyEntries()
    {
        var statements = RoleStatements(Stack, Reconciler).Where(s => s.Actions.Any(a => a.StartsWith("dynamodb:", StringComparison.Ordinal))).ToDictionary(s => s.Sid!);

        Assert.Equal(["DeletePublishedOutboxEntries", "QueryOpenOrders", "ReadOrdersAndOutboxEntries"], statements.Keys.Order());

        var query = statements["QueryOpenOrders"];
        Assert.Equal(["dynamodb:Query"], query.Actions);
        var indexArn = Assert.Single(query.Resources).GetProperty("Fn::Join")[1];
        Assert.Equal(OrdersTableId, GetAtt(indexArn[0], "Arn"));
        Assert.Equal("/index/open-orders", indexArn[1].GetString());
        Assert.Null(query.Condition);

        Assert.Equal(["dynamodb:GetItem"], statements["ReadOrdersAndOutboxEntries"].Actions);
        Assert.Equal(["ORDER#*", "OUTBOX#*"], LeadingKeys(statements["ReadOrdersAndOutboxEntries"]));
        Assert.Equal(["dynamodb:DeleteItem"], statements["DeletePublishedOutboxEntries"].Actions);
        Assert.Equal(["OUTBOX#*"], LeadingKeys(statements["DeletePublishedOutboxEntries"]));
        Assert.All(new[] { statements["ReadOrdersAndOutboxEntries"], statements["DeletePublishedOutboxEntries"] }, s =>
            Assert.Equal(OrdersTableId, GetAtt(Assert.Single(s.Resources), "Arn")));
    }

    [Fact]
    public void Reconciler_DefaultContext_GetsAFifteenMinuteThresholdInSeconds()
    {
        Assert.Equal("900", Variables(Stack, Reconciler).GetProperty(SettingNames.StuckOrderThresholdSeconds).GetString());
        Assert.All(FanoutTopology.Functions.Where(f => f.Name != Reconciler), f =>
            Assert.False(Variables(Stack, f.Name).TryGetProperty(SettingNames.StuckOrderThresholdSeconds, out _)));
    }

    [Theory]
    [InlineData(5, "300")]
    [InlineData(60, "3600")]
    [InlineData(1440, "86400")]
    public void Reconciler_ThresholdFromContext_ReachesTheFunctionInSeconds(int minutes, string expectedSeconds)
    {
        var stack = SynthesizedStack.Synthesize(new Dictionary<string, object> { [StackSettings.Keys.StuckOrderThresholdMinutes] = minutes });

        Assert.Equal(expectedSeconds, Variables(stack, Reconciler).GetProperty(SettingNames.StuckOrderThresholdSeconds).GetString());
    }

    [Theory]
    [InlineData("4")]
    [InlineData("0")]
    [InlineData("1441")]
    [InlineData("7.5")]
    [InlineData("soon")]
    public void StuckOrderThreshold_OutOfRangeOrNotWhole_FailsNamingTheKeyAndTheRange(string value)
    {
        var error = Assert.Throws<InfraConfigurationException>(() =>
            StackSettings.FromContext(key => key == StackSettings.Keys.StuckOrderThresholdMinutes ? value : null));

        Assert.Contains($"stuckOrderThresholdMinutes must be a whole number from 5 to 1440 (got '{value}')", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StuckOrderThreshold_Unset_IsFifteenMinutesAndCdkJsonSaysSo()
    {
        Assert.Equal(15, StackSettings.FromContext(_ => null).StuckOrderThresholdMinutes);
        Assert.Equal(ReconcilerSpec.DefaultStuckThresholdMinutes, StackSettings.FromContext(_ => null).StuckOrderThresholdMinutes);
        Assert.Equal(15.0, SynthesizedStack.CdkJsonContext()[StackSettings.Keys.StuckOrderThresholdMinutes]);
    }

    // ---- Alarms ----

    [Fact]
    public void StuckOrdersAlarm_Synth_FiresOnAnyStuckOrderTheReconcilerReports()
    {
        var alarm = Assert.Single(
            Stack.Resources("AWS::CloudWatch::Alarm").Select(a => a.Resource.GetProperty("Properties")),
            a => Cfn.MetricName(a) == "StuckOrders");

        Assert.Equal("Fanout", alarm.GetProperty("Namespace").GetString());
        Assert.Equal(ReconcilerSpec.MetricNamespace, alarm.GetProperty("Namespace").GetString());
        var dimension = Assert.Single(alarm.GetProperty("Dimensions").EnumerateArray());
        Assert.Equal("Service", dimension.GetProperty("Name").GetString());
        Assert.Equal("orders", dimension.GetProperty("Value").GetString());
        Assert.Equal(0, alarm.GetProperty("Threshold").GetDouble());
        Assert.Equal("GreaterThanThreshold", alarm.GetProperty("ComparisonOperator").GetString());
        Assert.Equal("Maximum", alarm.GetProperty("Statistic").GetString());
        Assert.Equal(300, alarm.GetProperty("Period").GetInt32());
        Assert.Equal(1, alarm.GetProperty("EvaluationPeriods").GetInt32());
        Assert.Equal("notBreaching", alarm.GetProperty("TreatMissingData").GetString());
        Assert.Equal("Fanout-StuckOrders", alarm.GetProperty("AlarmName").GetString());
    }

    [Fact]
    public void RelayLagAlarm_Synth_FiresWhenTheRelayIsAMinuteBehindTheStreamForThreeMinutes()
    {
        var (lambdaId, _) = Stack.AtPath(Paths.LambdaFunction(Relay));

        var alarm = Assert.Single(
            Stack.Resources("AWS::CloudWatch::Alarm").Select(a => a.Resource.GetProperty("Properties")),
            a => Cfn.MetricName(a) == "IteratorAge");

        Assert.Equal("AWS/Lambda", alarm.GetProperty("Namespace").GetString());
        var dimension = Assert.Single(alarm.GetProperty("Dimensions").EnumerateArray());
        Assert.Equal("FunctionName", dimension.GetProperty("Name").GetString());
        Assert.Equal(lambdaId, Cfn.Target(dimension.GetProperty("Value")));
        Assert.Equal(60_000, alarm.GetProperty("Threshold").GetDouble());
        Assert.Equal("GreaterThanOrEqualToThreshold", alarm.GetProperty("ComparisonOperator").GetString());
        Assert.Equal("Maximum", alarm.GetProperty("Statistic").GetString());
        Assert.Equal(60, alarm.GetProperty("Period").GetInt32());
        Assert.Equal(3, alarm.GetProperty("EvaluationPeriods").GetInt32());
        Assert.Equal(3, alarm.GetProperty("DatapointsToAlarm").GetInt32());
    }

    [Fact]
    public void Dashboard_Synth_ShowsStuckOrdersAndTheNewFailureQueues()
    {
        var body = Properties(Stack, Paths.Dashboard).GetProperty("DashboardBody");
        var text = string.Concat(body.GetProperty("Fn::Join")[1].EnumerateArray().Where(p => p.ValueKind == JsonValueKind.String).Select(p => p.GetString()));
        var references = Cfn.TargetsWithin(body);

        Assert.Contains("Stuck orders (reconciler)", text, StringComparison.Ordinal);
        Assert.Contains("\"Fanout\",\"StuckOrders\",\"Service\",\"orders\"", text, StringComparison.Ordinal);
        Assert.Contains(Stack.AtPath(Paths.RelayFailureQueue).LogicalId, references);
        Assert.Contains(Stack.AtPath(Paths.ScheduleDeadLetterQueue).LogicalId, references);
    }

    // ---- OrderIntake ----

    [Fact]
    public void OrderIntake_Synth_GetsTheInlinePublishTimeout()
    {
        Assert.Equal("1000", Variables(Stack, Intake).GetProperty(SettingNames.InlinePublishTimeoutMs).GetString());
        Assert.All(FanoutTopology.Functions.Where(f => f.Name != Intake), f =>
            Assert.False(Variables(Stack, f.Name).TryGetProperty(SettingNames.InlinePublishTimeoutMs, out _)));
    }

    [Fact]
    public void OrderIntakeRole_Synth_WritesOrdersAndEntriesAndDeletesOnlyEntries()
    {
        var statements = RoleStatements(Stack, Intake).Where(s => s.Actions.Any(a => a.StartsWith("dynamodb:", StringComparison.Ordinal))).ToDictionary(s => s.Sid!);

        Assert.Equal(["DeletePublishedOutboxEntries", "UseOwnItems"], statements.Keys.Order());
        Assert.Equal(
            ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            statements["UseOwnItems"].Actions.Order());
        var own = LeadingKeys(statements["UseOwnItems"]);
        Assert.Equal(["ORDER#*", "OUTBOX#*"], own);
        Assert.Equal(["dynamodb:DeleteItem"], statements["DeletePublishedOutboxEntries"].Actions);
        var deletable = LeadingKeys(statements["DeletePublishedOutboxEntries"]);
        Assert.Equal(["OUTBOX#*"], deletable);

        // The prefixes the order store and the outbox really write; failure records stay out of reach.
        bool Matches(IEnumerable<string> patterns, string key) => patterns.Any(p => IamPattern.Matches(p, key));
        Assert.True(Matches(own, DynamoOrderStore.OrderPrefix + "01J9Z3Q8K2"));
        // Idempotency keys have no items of their own any more (the order id derives from the key): the old prefix is out of reach.
        Assert.False(Matches(own, "IDEMPOTENCY#customer-1#client-key-1"));
        Assert.True(Matches(own, DynamoOutbox.KeyFor("3f1c2a9e")));
        Assert.False(Matches(own, DynamoFailureRecorder.KeyPrefix + "059f36b4"));
        Assert.True(Matches(deletable, DynamoOutbox.KeyFor("3f1c2a9e")));
        Assert.False(Matches(deletable, DynamoOrderStore.OrderPrefix + "01J9Z3Q8K2"));
        Assert.False(Matches(deletable, "IDEMPOTENCY#customer-1#client-key-1"));
    }

    [Fact]
    public void TableItemScopes_DeclaredAndGrantedOperationsDiffer_ThrowsNamingTheFunctionAndTheOperation()
    {
        var writer = FanoutTopology.Reconciler with { TableOperations = ["Query", "GetItem", "DeleteItem", "PutItem"] };
        var reconciler = FanoutTopology.Reconciler with { TableOperations = ["GetItem", "DeleteItem"] };

        var missing = Assert.Throws<TopologyException>(() => TableItemScopes.For(writer));
        var extra = Assert.Throws<TopologyException>(() => TableItemScopes.For(reconciler));

        Assert.Contains("Function 'Reconciler' declares the table operations DeleteItem, GetItem, PutItem, Query", missing.Message, StringComparison.Ordinal);
        Assert.Contains("leave out [PutItem] and add []", missing.Message, StringComparison.Ordinal);
        Assert.Contains("Function 'Reconciler'", extra.Message, StringComparison.Ordinal);
        Assert.Contains("leave out [] and add [Query]", extra.Message, StringComparison.Ordinal);
    }

    // ---- Subscriptions of the new facts ----

    [Theory]
    [InlineData("Sms", new[] { EventTypes.OrderPlaced, EventTypes.InventoryRejected, EventTypes.OrderCancelled })]
    [InlineData("Email", new[] { EventTypes.OrderPlaced, EventTypes.InventoryRejected, EventTypes.OrderCancelled })]
    [InlineData("Inventory", new[] { EventTypes.OrderPlaced, EventTypes.OrderCancelled })]
    [InlineData("OrderStatus", new[] { EventTypes.SmsSent, EventTypes.EmailSent, EventTypes.InventoryReserved, EventTypes.InventoryRejected, EventTypes.InventoryReleased })]
    public void Subscription_Synth_FiltersOnExactlyTheTypesTheServiceHandles(string consumerName, string[] types)
    {
        var filter = Properties(Stack, Paths.Subscription(consumerName)).GetProperty("FilterPolicy");

        Assert.Equal(types, Strings(filter.GetProperty("type")));
        Assert.Single(filter.EnumerateObject());
    }
}

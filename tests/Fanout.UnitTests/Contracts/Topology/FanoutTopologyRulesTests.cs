using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;

namespace Fanout.UnitTests.Contracts.Topology;

/// <summary>The exact limits <see cref="FanoutTopology.Validate"/> enforces (both sides of every boundary), the
/// exact reasons it gives, the derived names and the shipped specs the stack grants from.</summary>
[Trait("Category", "Unit")]
public sealed class FanoutTopologyRulesTests
{
    private const string Prefix = "Invalid Fanout topology: ";

    private static readonly ConsumerSpec _bare = new()
    {
        Service = "bare",
        Function = new FunctionSpec { Name = "Bare", Project = "functions/Fanout.Bare", Table = FanoutTopology.SmsTable, TimeoutSeconds = 10, MemoryMb = 128, Publishes = false },
        EventTypes = [EventTypes.OrderPlaced],
    };

    [Fact]
    public void Validate_NullConsumers_ThrowsArgumentNull()
    {
        Assert.Throws<ArgumentNullException>(() => FanoutTopology.Validate(null!));
    }

    [Fact]
    public void Validate_NoConsumers_Passes()
    {
        Assert.Null(Record.Exception(() => FanoutTopology.Validate([])));
    }

    [Fact]
    public void Validate_VisibilityTimeoutOneBelowMinimum_GivesTheExactReason()
    {
        var sms = FanoutTopology.Sms with { MaxBatchingWindowSeconds = 5, VisibilityTimeoutOverrideSeconds = 184 };

        Assert.Equal(
            Prefix + "queue 'fanout-sms' has a visibility timeout of 184s, but its consumer 'Sms' needs at least 6 x 30s (function timeout) " +
            "+ 5s (batching window) = 185s, or messages are redelivered while still being processed.",
            Problem(sms));
    }

    [Theory]
    [InlineData(0, "batch size 0")]
    [InlineData(11, "batch size 11")]
    public void Validate_BatchSizeOutside1To10_GivesTheExactReason(int size, string got)
    {
        Assert.Equal(Prefix + $"consumer 'Bare' has {got}; standard-queue batches here are 1 to 10.", Problem(_bare with { BatchSize = size }));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    public void Validate_BatchSizeAtEitherLimit_Passes(int size)
    {
        FanoutTopology.Validate([_bare with { BatchSize = size }]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1001)]
    public void Validate_MaxConcurrencyOutside2To1000_GivesTheExactReason(int concurrency)
    {
        Assert.Equal(Prefix + $"consumer 'Bare' has maximum concurrency {concurrency}; Lambda accepts 2 to 1000.", Problem(_bare with { MaxConcurrency = concurrency }));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(1000)]
    public void Validate_MaxConcurrencyAtEitherLimit_Passes(int concurrency)
    {
        FanoutTopology.Validate([_bare with { MaxConcurrency = concurrency }]);
    }

    [Fact]
    public void Validate_MaxReceiveCountZero_GivesTheExactReason()
    {
        Assert.Equal(Prefix + "queue 'fanout-bare' has maxReceiveCount 0; it must be at least 1.", Problem(_bare with { MaxReceiveCount = 0 }));
    }

    [Fact]
    public void Validate_MaxReceiveCountOne_Passes()
    {
        FanoutTopology.Validate([_bare with { MaxReceiveCount = 1 }]);
    }

    [Theory]
    [InlineData(15, 14, "")]
    [InlineData(14, 0, "")]
    [InlineData(14, 15, "")]
    // A 0-day queue also cannot hold a message through its retries.
    [InlineData(0, 14, "; queue 'fanout-bare' would retry 5 x 300s (backoff cap), longer than its 0-day retention: messages would expire before reaching the DLQ")]
    public void Validate_RetentionOutside1To14Days_GivesTheExactReason(int queueDays, int dlqDays, string more)
    {
        Assert.Equal(
            Prefix + $"queue 'fanout-bare' keeps messages {queueDays} days and its DLQ {dlqDays} days; SQS allows 1 to 14{more}.",
            Problem(_bare with { MessageRetentionDays = queueDays, DlqRetentionDays = dlqDays }));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(14, 14)]
    public void Validate_RetentionAtEitherLimit_Passes(int queueDays, int dlqDays)
    {
        FanoutTopology.Validate([_bare with { MessageRetentionDays = queueDays, DlqRetentionDays = dlqDays }]);
    }

    [Fact]
    public void Validate_MessageLifeOfExactlyTheIdempotencyRetention_GivesTheExactReason()
    {
        // 16 + 14 = 30 days: only reachable with a queue retention SQS refuses, so both reasons are given.
        var bare = _bare with { MessageRetentionDays = 16, DlqRetentionDays = 14 };

        Assert.Equal(30, bare.MaxMessageLifeDays);
        Assert.Equal(
            Prefix + "queue 'fanout-bare' keeps messages 16 days and its DLQ 14 days; SQS allows 1 to 14; " +
            "queue 'fanout-bare' can hold a message 30 days (queue, then DLQ, then redrive), not less than the 30-day idempotency retention: " +
            "a late duplicate would act twice.",
            Problem(bare));
    }

    [Fact]
    public void Validate_MessageLifeOneDayUnderTheIdempotencyRetention_GivesOnlyTheRetentionReason()
    {
        var bare = _bare with { MessageRetentionDays = 15, DlqRetentionDays = 14 };

        Assert.Equal(29, bare.MaxMessageLifeDays);
        Assert.Equal(Prefix + "queue 'fanout-bare' keeps messages 15 days and its DLQ 14 days; SQS allows 1 to 14.", Problem(bare));
    }

    [Theory]
    [InlineData(0, 300)]
    [InlineData(10, 9)]
    [InlineData(2, 43_201)]
    public void Validate_RetryBackoffOutsideItsLimits_GivesTheExactReason(int baseSeconds, int capSeconds)
    {
        Assert.Equal(
            Prefix + $"consumer 'Bare' has retry backoff base {baseSeconds}s and cap {capSeconds}s; " +
            "the base must be at least 1s and the cap between the base and 43200s (SQS's visibility limit).",
            Problem(_bare with { RetryBackoffBaseSeconds = baseSeconds, RetryBackoffCapSeconds = capSeconds }));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(10, 10)]
    [InlineData(2, 43_200)]
    public void Validate_RetryBackoffAtItsLimits_Passes(int baseSeconds, int capSeconds)
    {
        FanoutTopology.Validate([_bare with { RetryBackoffBaseSeconds = baseSeconds, RetryBackoffCapSeconds = capSeconds }]);
    }

    [Fact]
    public void Validate_RetriesExactlyFillingTheRetention_GivesTheExactReason()
    {
        // 2 receives x 43200s = 86400s = the whole 1-day retention: the message expires before it reaches the DLQ.
        var bare = _bare with { MessageRetentionDays = 1, MaxReceiveCount = 2, RetryBackoffCapSeconds = 43_200 };

        Assert.Equal(
            Prefix + "queue 'fanout-bare' would retry 2 x 43200s (backoff cap), longer than its 1-day retention: messages would expire before reaching the DLQ.",
            Problem(bare));
    }

    [Fact]
    public void Validate_RetriesJustShortOfTheRetention_Passes()
    {
        FanoutTopology.Validate([_bare with { MessageRetentionDays = 1, MaxReceiveCount = 2, RetryBackoffCapSeconds = 43_199 }]);
    }

    [Fact]
    public void Validate_RetriesBeyondInt32Seconds_AreComparedWithoutOverflow()
    {
        // 50000 x 43200 overflows an int (it would wrap negative and pass); the rule multiplies in 64 bits.
        Assert.Contains("would retry 50000 x 43200s", Problem(_bare with { MaxReceiveCount = 50_000, RetryBackoffCapSeconds = 43_200 }), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NoEventTypes_GivesTheExactReason()
    {
        Assert.Equal(Prefix + "consumer 'Bare' subscribes to no event type.", Problem(_bare with { EventTypes = [] }));
    }

    [Fact]
    public void Validate_SameQueueNameTwice_GivesTheExactReason()
    {
        Assert.Equal(Prefix + "queue name 'fanout-bare' is used twice.", Problem(_bare, _bare with { MaxConcurrency = 3 }));
    }

    [Fact]
    public void Validate_SeveralProblems_JoinsThemInOrder()
    {
        Assert.Equal(
            Prefix + "consumer 'Bare' has batch size 0; standard-queue batches here are 1 to 10; consumer 'Bare' subscribes to no event type.",
            Problem(_bare with { BatchSize = 0, EventTypes = [] }));
    }

    [Fact]
    public void ConsumerSpec_OnlyRequiredMembers_HasTheDocumentedDefaults()
    {
        Assert.Equal(
            (5, 10, 0, 5, 14, 14, 2, 300, (int?)null),
            (_bare.MaxConcurrency, _bare.BatchSize, _bare.MaxBatchingWindowSeconds, _bare.MaxReceiveCount, _bare.DlqRetentionDays,
                _bare.MessageRetentionDays, _bare.RetryBackoffBaseSeconds, _bare.RetryBackoffCapSeconds, _bare.VisibilityTimeoutOverrideSeconds));
        Assert.Equal(28, _bare.MaxMessageLifeDays);
    }

    [Fact]
    public void FunctionSpec_OnlyRequiredMembers_HasNoOperationsNoChannelAndNoService()
    {
        Assert.Empty(_bare.Function.TableOperations);
        Assert.Equal(OutboundChannel.None, _bare.Function.Channel);
        Assert.Null(_bare.Function.Service);
    }

    [Theory]
    [InlineData(10, 0, null, 60, 60)]
    [InlineData(10, 7, null, 67, 67)]
    [InlineData(30, 7, 500, 187, 500)]
    public void VisibilityTimeoutSeconds_TimeoutWindowAndOverride_IsTheOverrideOrSixTimesTimeoutPlusWindow(int timeout, int window, int? visibilityOverride, int minimum, int expected)
    {
        var consumer = _bare with
        {
            Function = _bare.Function with { TimeoutSeconds = timeout },
            MaxBatchingWindowSeconds = window,
            VisibilityTimeoutOverrideSeconds = visibilityOverride,
        };

        Assert.Equal((minimum, expected), (consumer.MinimumVisibilityTimeoutSeconds, consumer.VisibilityTimeoutSeconds));
    }

    [Fact]
    public void MaxMessageLifeDays_QueueAndDlqRetention_IsTheirSum()
    {
        Assert.Equal(7, (_bare with { MessageRetentionDays = 3, DlqRetentionDays = 4 }).MaxMessageLifeDays);
    }

    [Fact]
    public void QueueNames_Consumer_AreDerivedFromTheService()
    {
        Assert.Equal(
            ("fanout-inventory", "fanout-inventory-dlq", "fanout-inventory-subscription-dlq"),
            (FanoutTopology.Inventory.QueueName, FanoutTopology.Inventory.DeadLetterQueueName, FanoutTopology.Inventory.SubscriptionDeadLetterQueueName));
    }

    [Fact]
    public void FilterPolicyJson_SeveralTypes_ListsThemCommaSeparatedInOrder()
    {
        Assert.Equal(
            "{\"type\":[\"SmsSent\",\"EmailSent\",\"InventoryReserved\",\"InventoryRejected\",\"InventoryReleased\"]}",
            FanoutTopology.OrderStatus.FilterPolicyJson);
    }

    [Theory]
    [InlineData("functions/Fanout.Sms", "Fanout.Sms")]
    [InlineData("a/b/Fanout.Deep", "Fanout.Deep")]
    [InlineData("Fanout.Flat", "Fanout.Flat")]
    public void AssemblyName_Project_IsItsLastPathSegment(string project, string expected)
    {
        Assert.Equal(expected, (_bare.Function with { Project = project }).AssemblyName);
    }

    [Fact]
    public void Tables_Shipped_AreTheFourServiceTables()
    {
        Assert.Equal(
            [("orders", "fanout-orders"), ("sms", "fanout-sms"), ("email", "fanout-email"), ("inventory", "fanout-inventory")],
            FanoutTopology.Tables.Select(t => (t.Id, t.LocalName)));
    }

    [Fact]
    public void Functions_Shipped_AreTheIntakeThenEveryConsumer()
    {
        Assert.Equal(["OrderIntake", "Sms", "Email", "Inventory", "OrderStatus", "OutboxRelay", "Reconciler"], FanoutTopology.Functions.Select(f => f.Name));
        Assert.Equal(["sms", "email", "inventory", "orderstatus"], FanoutTopology.Consumers.Select(c => c.Service));
    }

    // What the stack grants and deploys comes from these specs: a changed grant or flag must be a deliberate edit here.
    public static TheoryData<string, string, string, string, string, bool, OutboundChannel, int, int> ShippedFunctions => new()
    {
        { "OrderIntake", "functions/Fanout.OrderIntake", "orders", "fanout-orders", "GetItem PutItem UpdateItem DeleteItem", true, OutboundChannel.None, 10, 512 },
        { "Sms", "functions/Fanout.Sms", "sms", "fanout-sms", "PutItem UpdateItem DeleteItem", true, OutboundChannel.Sms, 30, 256 },
        { "Email", "functions/Fanout.Email", "email", "fanout-email", "PutItem UpdateItem DeleteItem", true, OutboundChannel.Email, 30, 256 },
        { "Inventory", "functions/Fanout.Inventory", "inventory", "fanout-inventory", "GetItem PutItem UpdateItem", true, OutboundChannel.None, 30, 256 },
        { "OrderStatus", "functions/Fanout.OrderStatus", "orderstatus", "fanout-orders", "GetItem PutItem UpdateItem", false, OutboundChannel.None, 30, 256 },
        { "OutboxRelay", "functions/Fanout.OutboxRelay", "orders", "fanout-orders", "GetItem DeleteItem", true, OutboundChannel.None, 30, 256 },
        { "Reconciler", "functions/Fanout.Reconciler", "orders", "fanout-orders", "Query GetItem DeleteItem", true, OutboundChannel.None, 60, 256 },
    };

    [Theory]
    [MemberData(nameof(ShippedFunctions))]
    public void Functions_Shipped_HaveTheirProjectTableGrantsAndLimits(
        string name, string project, string service, string table, string operations, bool publishes, OutboundChannel channel, int timeout, int memory)
    {
        var function = FanoutTopology.Functions.Single(f => f.Name == name);
        var logsAs = FanoutTopology.Consumers.SingleOrDefault(c => c.Function == function)?.Service ?? function.Service;

        Assert.Equal((project, service, table), (function.Project, logsAs, function.Table.LocalName));
        Assert.Equal(operations, string.Join(' ', function.TableOperations));
        Assert.Equal((publishes, channel, timeout, memory), (function.Publishes, function.Channel, function.TimeoutSeconds, function.MemoryMb));
    }

    [Theory]
    [InlineData("sms", 2)]
    [InlineData("email", 2)]
    [InlineData("inventory", 5)]
    [InlineData("orderstatus", 5)]
    public void Consumers_Shipped_HaveTheirMaximumConcurrency(string service, int expected)
    {
        Assert.Equal(expected, FanoutTopology.Consumers.Single(c => c.Service == service).MaxConcurrency);
    }

    [Fact]
    public void StackOutputNames_ConsumerAndTable_ArePascalCaseWithTheirSuffix()
    {
        Assert.Equal("SmsQueueUrl", StackOutputNames.QueueUrl(FanoutTopology.Sms));
        Assert.Equal("OrderStatusDeadLetterQueueUrl", StackOutputNames.DeadLetterQueueUrl(FanoutTopology.OrderStatus));
        Assert.Equal("InventoryTableName", StackOutputNames.TableName(FanoutTopology.InventoryTable));
        Assert.Equal("XTableName", StackOutputNames.TableName(new TableSpec("x", "x")));
    }

    [Fact]
    public void StackOutputNames_Null_ThrowsArgumentNull()
    {
        Assert.Throws<ArgumentNullException>(() => StackOutputNames.QueueUrl(null!));
        Assert.Throws<ArgumentNullException>(() => StackOutputNames.DeadLetterQueueUrl(null!));
        Assert.Throws<ArgumentNullException>(() => StackOutputNames.TableName(null!));
    }

    [Fact]
    public void TopologyException_MessageAndInner_AreKept()
    {
        var inner = new InvalidOperationException("inner");

        var error = new TopologyException("outer", inner);

        Assert.Equal(("outer", inner), (error.Message, error.InnerException));
        Assert.Equal("outer", new TopologyException("outer").Message);
        Assert.Null(new TopologyException().InnerException);
    }

    private static string Problem(params ConsumerSpec[] consumers) =>
        Assert.Throws<TopologyException>(() => FanoutTopology.Validate(consumers)).Message;
}

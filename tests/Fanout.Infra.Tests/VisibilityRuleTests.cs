using Fanout.Contracts.Configuration;
using Fanout.Contracts.Topology;
using Fanout.Infra.Tests.Support;

namespace Fanout.Infra.Tests;

/// <summary>The rules CloudFormation and CDK do not check, fed to the stack broken: synth must refuse the topology
/// (the stack calls <see cref="FanoutTopology.Validate"/>) with a message naming the queue and the numbers.
/// aws-cdk#20527: CDK does not check a queue's visibility timeout against its consumer's timeout; nor does
/// anything check retention against the retry backoff or the idempotency records' lifetime.</summary>
[Trait("Category", "Infra")]
public sealed class VisibilityRuleTests
{
    [Fact]
    public void Synth_QueueVisibilityBelowSixFunctionTimeouts_ThrowsNamingQueueAndNumbers()
    {
        var broken = FanoutTopology.Consumers
            .Select(c => c == FanoutTopology.Inventory ? c with { VisibilityTimeoutOverrideSeconds = 60 } : c)
            .ToList();

        var error = Assert.Throws<TopologyException>(() => SynthesizedStack.Synthesize(consumers: broken));

        Assert.Contains($"queue '{FanoutTopology.Inventory.QueueName}' has a visibility timeout of 60s", error.Message, StringComparison.Ordinal);
        Assert.Contains("6 x 30s (function timeout) + 0s (batching window) = 180s", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Synth_FunctionTimeoutRaisedWithoutVisibility_Throws()
    {
        // The subtle way to break it: a longer function timeout under a pinned visibility timeout.
        var sms = FanoutTopology.Sms with
        {
            VisibilityTimeoutOverrideSeconds = 180,
            Function = FanoutTopology.Sms.Function with { TimeoutSeconds = 45 },
        };
        var broken = FanoutTopology.Consumers.Select(c => c == FanoutTopology.Sms ? sms : c).ToList();

        var error = Assert.Throws<TopologyException>(() => SynthesizedStack.Synthesize(consumers: broken));

        Assert.Contains("fanout-sms", error.Message, StringComparison.Ordinal);
        Assert.Contains("= 270s", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Synth_BatchingWindowAddedToTheRule_UsesTheLargerVisibility()
    {
        var email = FanoutTopology.Email with { MaxBatchingWindowSeconds = 5 };
        var topology = FanoutTopology.Consumers.Select(c => c == FanoutTopology.Email ? email : c).ToList();

        var stack = SynthesizedStack.Synthesize(consumers: topology);

        var queue = stack.AtPath(Paths.Queue(email.Function.Name)).Resource.GetProperty("Properties");
        var mapping = stack.AtPath(Paths.EventSourceMapping(email.Function.Name)).Resource.GetProperty("Properties");
        Assert.Equal(185, queue.GetProperty("VisibilityTimeout").GetInt32());
        Assert.Equal(5, mapping.GetProperty("MaximumBatchingWindowInSeconds").GetInt32());
    }

    [Theory]
    [InlineData(15, 14, "keeps messages 15 days and its DLQ 14 days")]
    [InlineData(0, 14, "keeps messages 0 days and its DLQ 14 days")]
    [InlineData(14, 0, "keeps messages 14 days and its DLQ 0 days")]
    public void Synth_RetentionOutsideWhatSqsAllows_ThrowsNamingQueue(int queueDays, int dlqDays, string expected)
    {
        var broken = Replace(FanoutTopology.Inventory, FanoutTopology.Inventory with { MessageRetentionDays = queueDays, DlqRetentionDays = dlqDays });

        var error = Assert.Throws<TopologyException>(() => SynthesizedStack.Synthesize(consumers: broken));

        Assert.Contains($"queue '{FanoutTopology.Inventory.QueueName}' {expected}; SQS allows 1 to 14", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(FanoutTopology.Sms.QueueName, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Synth_RetriesAtTheBackoffCapOutlastRetention_ThrowsNamingQueue()
    {
        // 2 receives x 12 h = 1 day: the message would expire instead of reaching the DLQ.
        var broken = Replace(FanoutTopology.Sms, FanoutTopology.Sms with { MessageRetentionDays = 1, MaxReceiveCount = 2, RetryBackoffCapSeconds = 43_200 });

        var error = Assert.Throws<TopologyException>(() => SynthesizedStack.Synthesize(consumers: broken));

        Assert.Contains(
            $"queue '{FanoutTopology.Sms.QueueName}' would retry 2 x 43200s (backoff cap), longer than its 1-day retention",
            error.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Synth_RetriesAtTheBackoffCapJustInsideRetention_DeploysTheTopologysValues()
    {
        var sms = FanoutTopology.Sms with { MessageRetentionDays = 1, MaxReceiveCount = 2, RetryBackoffCapSeconds = 43_199 };

        var stack = SynthesizedStack.Synthesize(consumers: Replace(FanoutTopology.Sms, sms));

        var queue = stack.AtPath(Paths.Queue(sms.Function.Name)).Resource.GetProperty("Properties");
        var variables = stack.AtPath(Paths.LambdaFunction(sms.Function.Name)).Resource.GetProperty("Properties").GetProperty("Environment").GetProperty("Variables");
        Assert.Equal(86_400, queue.GetProperty("MessageRetentionPeriod").GetInt32());
        Assert.Equal(2, queue.GetProperty("RedrivePolicy").GetProperty("maxReceiveCount").GetInt32());
        Assert.Equal("43199", variables.GetProperty(SettingNames.RetryBackoffCapSeconds).GetString());
    }

    [Theory]
    [InlineData(10, 5)]
    [InlineData(0, 300)]
    [InlineData(2, 43_201)]
    public void Synth_BackoffBaseAndCapOutOfOrderOrRange_ThrowsNamingConsumer(int baseSeconds, int capSeconds)
    {
        var broken = Replace(FanoutTopology.Email, FanoutTopology.Email with { RetryBackoffBaseSeconds = baseSeconds, RetryBackoffCapSeconds = capSeconds });

        var error = Assert.Throws<TopologyException>(() => SynthesizedStack.Synthesize(consumers: broken));

        Assert.Contains(
            $"consumer '{FanoutTopology.Email.Function.Name}' has retry backoff base {baseSeconds}s and cap {capSeconds}s",
            error.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Synth_MessageCanOutliveItsIdempotencyRecord_ThrowsNamingQueue()
    {
        // 15 days in the queue, 15 in the DLQ, then a redrive: a duplicate could arrive after its record expired.
        var broken = Replace(FanoutTopology.OrderStatus, FanoutTopology.OrderStatus with { MessageRetentionDays = 15, DlqRetentionDays = 15 });

        var error = Assert.Throws<TopologyException>(() => SynthesizedStack.Synthesize(consumers: broken));

        Assert.Contains(
            $"queue '{FanoutTopology.OrderStatus.QueueName}' can hold a message 30 days (queue, then DLQ, then redrive), " +
            $"not less than the {FanoutTopology.IdempotencyRetentionDays}-day idempotency retention",
            error.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Synth_TwoRulesBrokenInTwoQueues_NamesBoth()
    {
        var broken = FanoutTopology.Consumers
            .Select(c => c == FanoutTopology.Sms ? c with { MessageRetentionDays = 20 } : c)
            .Select(c => c == FanoutTopology.Inventory ? c with { VisibilityTimeoutOverrideSeconds = 30 } : c)
            .ToList();

        var error = Assert.Throws<TopologyException>(() => SynthesizedStack.Synthesize(consumers: broken));

        Assert.StartsWith("Invalid Fanout topology: ", error.Message, StringComparison.Ordinal);
        Assert.Contains($"queue '{FanoutTopology.Sms.QueueName}' keeps messages 20 days", error.Message, StringComparison.Ordinal);
        Assert.Contains($"queue '{FanoutTopology.Inventory.QueueName}' has a visibility timeout of 30s", error.Message, StringComparison.Ordinal);
    }

    private static List<ConsumerSpec> Replace(ConsumerSpec original, ConsumerSpec replacement) =>
        FanoutTopology.Consumers.Select(c => c == original ? replacement : c).ToList();
}

using System.Text.Json;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;

namespace Fanout.UnitTests.Contracts.Topology;

[Trait("Category", "Unit")]
public sealed class FanoutTopologyTests
{
    public static TheoryData<string> ConsumerServices => new(FanoutTopology.Consumers.Select(c => c.Service));

    [Fact]
    public void Validate_ShippedConsumers_Passes()
    {
        Assert.Null(Record.Exception(() => FanoutTopology.Validate(FanoutTopology.Consumers)));
    }

    [Theory]
    [MemberData(nameof(ConsumerServices))]
    public void VisibilityTimeoutSeconds_ShippedConsumer_IsAtLeastSixTimesTimeoutPlusWindow(string service)
    {
        var consumer = Consumer(service);

        Assert.True(
            consumer.VisibilityTimeoutSeconds >= (6 * consumer.Function.TimeoutSeconds) + consumer.MaxBatchingWindowSeconds,
            $"{consumer.QueueName}: {consumer.VisibilityTimeoutSeconds}s");
    }

    [Theory]
    [MemberData(nameof(ConsumerServices))]
    public void Validate_VisibilityTimeoutBelowMinimum_ThrowsNamingTheQueue(string service)
    {
        var consumer = Consumer(service);
        var minimum = (6 * consumer.Function.TimeoutSeconds) + consumer.MaxBatchingWindowSeconds;
        var broken = consumer with { VisibilityTimeoutOverrideSeconds = minimum - 1 };

        var error = Assert.Throws<TopologyException>(() => FanoutTopology.Validate(Replace(broken)));

        Assert.Contains($"'{consumer.QueueName}'", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{minimum - 1}s", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{minimum}s", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_VisibilityTimeoutExactlyAtMinimum_Passes()
    {
        var sms = FanoutTopology.Sms with { VisibilityTimeoutOverrideSeconds = 6 * FanoutTopology.Sms.Function.TimeoutSeconds };

        Assert.Null(Record.Exception(() => FanoutTopology.Validate([sms])));
    }

    [Fact]
    public void Validate_BatchingWindowNotCoveredByVisibilityTimeout_Throws()
    {
        // 6 x timeout alone is not enough once records may wait in the batching window first.
        var sms = FanoutTopology.Sms with { MaxBatchingWindowSeconds = 20, VisibilityTimeoutOverrideSeconds = 6 * FanoutTopology.Sms.Function.TimeoutSeconds };

        var error = Assert.Throws<TopologyException>(() => FanoutTopology.Validate([sms]));

        Assert.Equal(
            "Invalid Fanout topology: queue 'fanout-sms' has a visibility timeout of 180s, but its consumer 'Sms' needs at least " +
            "6 x 30s (function timeout) + 20s (batching window) = 200s, or messages are redelivered while still being processed.",
            error.Message);
    }

    [Fact]
    public void Validate_BatchingWindowWithDefaultVisibility_Passes()
    {
        var sms = FanoutTopology.Sms with { MaxBatchingWindowSeconds = 20 };

        Assert.Equal((6 * sms.Function.TimeoutSeconds) + 20, sms.VisibilityTimeoutSeconds);
        Assert.Null(Record.Exception(() => FanoutTopology.Validate([sms])));
    }

    [Fact]
    public void Validate_SeveralBrokenQueues_NamesEveryOne()
    {
        var consumers = new[]
        {
            FanoutTopology.Sms with { VisibilityTimeoutOverrideSeconds = 30 },
            FanoutTopology.Email,
            FanoutTopology.Inventory with { VisibilityTimeoutOverrideSeconds = 60 },
        };

        var error = Assert.Throws<TopologyException>(() => FanoutTopology.Validate(consumers));

        Assert.Contains("'fanout-sms'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'fanout-inventory'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("'fanout-email'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SameQueueNameTwice_Throws()
    {
        var error = Assert.Throws<TopologyException>(() => FanoutTopology.Validate([FanoutTopology.Sms, FanoutTopology.Email with { Service = "sms" }]));

        Assert.Equal("Invalid Fanout topology: queue name 'fanout-sms' is used twice.", error.Message);
    }

    [Theory]
    [InlineData("batch0", "consumer 'Sms' has batch size 0; standard-queue batches here are 1 to 10")]
    [InlineData("batch11", "consumer 'Sms' has batch size 11; standard-queue batches here are 1 to 10")]
    [InlineData("concurrency1", "consumer 'Sms' has maximum concurrency 1; Lambda accepts 2 to 1000")]
    [InlineData("concurrency1001", "consumer 'Sms' has maximum concurrency 1001; Lambda accepts 2 to 1000")]
    [InlineData("receive0", "queue 'fanout-sms' has maxReceiveCount 0; it must be at least 1")]
    [InlineData("noTypes", "consumer 'Sms' subscribes to no event type")]
    [InlineData("visibility", "queue 'fanout-sms' has a visibility timeout of 179s, but its consumer 'Sms' needs at least 6 x 30s (function timeout) + 0s (batching window) = 180s, or messages are redelivered while still being processed")]
    [InlineData("retention0", "queue 'fanout-sms' keeps messages 0 days and its DLQ 14 days; SQS allows 1 to 14; " +
        "queue 'fanout-sms' would retry 5 x 300s (backoff cap), longer than its 0-day retention: messages would expire before reaching the DLQ")]
    [InlineData("retention15", "queue 'fanout-sms' keeps messages 15 days and its DLQ 14 days; SQS allows 1 to 14")]
    [InlineData("dlqRetention0", "queue 'fanout-sms' keeps messages 14 days and its DLQ 0 days; SQS allows 1 to 14")]
    [InlineData("dlqRetention15", "queue 'fanout-sms' keeps messages 14 days and its DLQ 15 days; SQS allows 1 to 14")]
    [InlineData("backoffBase0", "consumer 'Sms' has retry backoff base 0s and cap 300s; the base must be at least 1s and the cap between the base and 43200s (SQS's visibility limit)")]
    [InlineData("backoffCapBelowBase", "consumer 'Sms' has retry backoff base 10s and cap 9s; the base must be at least 1s and the cap between the base and 43200s (SQS's visibility limit)")]
    [InlineData("backoffCapAboveSqsLimit", "consumer 'Sms' has retry backoff base 2s and cap 43201s; the base must be at least 1s and the cap between the base and 43200s (SQS's visibility limit)")]
    [InlineData("retriesOutliveRetention", "queue 'fanout-sms' would retry 2 x 43200s (backoff cap), longer than its 1-day retention: messages would expire before reaching the DLQ")]
    [InlineData("duplicateOutlivesIdempotency", "queue 'fanout-sms' keeps messages 15 days and its DLQ 15 days; SQS allows 1 to 14; " +
        "queue 'fanout-sms' can hold a message 30 days (queue, then DLQ, then redrive), not less than the 30-day idempotency retention: a late duplicate would act twice")]
    public void Validate_ConsumerBreakingOneRule_ThrowsExactlyThatRulesMessage(string change, string expected)
    {
        var sms = change switch
        {
            "batch0" => FanoutTopology.Sms with { BatchSize = 0 },
            "batch11" => FanoutTopology.Sms with { BatchSize = 11 },
            "concurrency1" => FanoutTopology.Sms with { MaxConcurrency = 1 },
            "concurrency1001" => FanoutTopology.Sms with { MaxConcurrency = 1001 },
            "receive0" => FanoutTopology.Sms with { MaxReceiveCount = 0 },
            "noTypes" => FanoutTopology.Sms with { EventTypes = [] },
            "visibility" => FanoutTopology.Sms with { VisibilityTimeoutOverrideSeconds = 179 },
            "retention0" => FanoutTopology.Sms with { MessageRetentionDays = 0 },
            "retention15" => FanoutTopology.Sms with { MessageRetentionDays = 15 },
            "dlqRetention0" => FanoutTopology.Sms with { DlqRetentionDays = 0 },
            "dlqRetention15" => FanoutTopology.Sms with { DlqRetentionDays = 15 },
            "backoffBase0" => FanoutTopology.Sms with { RetryBackoffBaseSeconds = 0 },
            "backoffCapBelowBase" => FanoutTopology.Sms with { RetryBackoffBaseSeconds = 10, RetryBackoffCapSeconds = 9 },
            "backoffCapAboveSqsLimit" => FanoutTopology.Sms with { RetryBackoffCapSeconds = 43_201 },
            "retriesOutliveRetention" => FanoutTopology.Sms with { MessageRetentionDays = 1, MaxReceiveCount = 2, RetryBackoffCapSeconds = 43_200 },
            "duplicateOutlivesIdempotency" => FanoutTopology.Sms with { MessageRetentionDays = 15, DlqRetentionDays = 15 },
            _ => throw new ArgumentOutOfRangeException(nameof(change)),
        };

        var error = Assert.Throws<TopologyException>(() => FanoutTopology.Validate([sms]));

        Assert.Equal($"Invalid Fanout topology: {expected}.", error.Message);
    }

    [Theory]
    [InlineData("batch1")]
    [InlineData("batch10")]
    [InlineData("concurrency2")]
    [InlineData("concurrency1000")]
    [InlineData("receive1")]
    [InlineData("retention1")]
    [InlineData("backoffCapEqualsBase")]
    [InlineData("backoffCapAtSqsLimit")]
    [InlineData("retriesJustWithinRetention")]
    public void Validate_ConsumerAtTheEdgeOfEachRule_Passes(string change)
    {
        var sms = change switch
        {
            "batch1" => FanoutTopology.Sms with { BatchSize = 1 },
            "batch10" => FanoutTopology.Sms with { BatchSize = 10 },
            "concurrency2" => FanoutTopology.Sms with { MaxConcurrency = 2 },
            "concurrency1000" => FanoutTopology.Sms with { MaxConcurrency = 1000 },
            "receive1" => FanoutTopology.Sms with { MaxReceiveCount = 1 },
            "retention1" => FanoutTopology.Sms with { MessageRetentionDays = 1, DlqRetentionDays = 1 },
            "backoffCapEqualsBase" => FanoutTopology.Sms with { RetryBackoffBaseSeconds = 1, RetryBackoffCapSeconds = 1 },
            "backoffCapAtSqsLimit" => FanoutTopology.Sms with { RetryBackoffCapSeconds = 43_200 },
            "retriesJustWithinRetention" => FanoutTopology.Sms with { MessageRetentionDays = 1, MaxReceiveCount = 1, RetryBackoffCapSeconds = 43_200 },
            _ => throw new ArgumentOutOfRangeException(nameof(change)),
        };

        Assert.Null(Record.Exception(() => FanoutTopology.Validate([sms])));
    }

    [Fact]
    public void IdempotencyRetentionDays_OutlivesEveryShippedConsumersLongestMessageLife()
    {
        Assert.Equal(30, FanoutTopology.IdempotencyRetentionDays);
        Assert.All(FanoutTopology.Consumers, c => Assert.True(c.MaxMessageLifeDays < FanoutTopology.IdempotencyRetentionDays, c.QueueName));
        Assert.Equal(28, FanoutTopology.Sms.MaxMessageLifeDays);
    }

    [Fact]
    public void ShippedConsumers_RetentionAndBackoff_AreTheDocumentedAwsValues()
    {
        Assert.All(FanoutTopology.Consumers, c =>
        {
            Assert.Equal(14, c.MessageRetentionDays);
            Assert.Equal(14, c.DlqRetentionDays);
            Assert.Equal(2, c.RetryBackoffBaseSeconds);
            Assert.Equal(300, c.RetryBackoffCapSeconds);
        });
    }

    [Theory]
    [InlineData("sms", new[] { EventTypes.OrderPlaced, EventTypes.InventoryRejected, EventTypes.OrderCancelled })]
    [InlineData("email", new[] { EventTypes.OrderPlaced, EventTypes.InventoryRejected, EventTypes.OrderCancelled })]
    [InlineData("inventory", new[] { EventTypes.OrderPlaced, EventTypes.OrderCancelled })]
    [InlineData("orderstatus", new[] { EventTypes.SmsSent, EventTypes.EmailSent, EventTypes.InventoryReserved, EventTypes.InventoryRejected, EventTypes.InventoryReleased })]
    public void FilterPolicyJson_Consumer_MatchesExactlyItsEventTypesOnTheTypeAttribute(string service, string[] types)
    {
        using var policy = JsonDocument.Parse(Consumer(service).FilterPolicyJson);

        var attribute = Assert.Single(policy.RootElement.EnumerateObject());
        Assert.Equal(EventAttributes.Type, attribute.Name);
        Assert.Equal(types, attribute.Value.EnumerateArray().Select(v => v.GetString()));
    }

    [Fact]
    public void FilterPolicyJson_Sms_IsTheExactSnsPolicyText()
    {
        Assert.Equal("{\"type\":[\"OrderPlaced\",\"InventoryRejected\",\"OrderCancelled\"]}", FanoutTopology.Sms.FilterPolicyJson);
    }

    [Fact]
    public void Consumers_EveryEventType_HasAtLeastOneSubscriber()
    {
        var subscribed = FanoutTopology.Consumers.SelectMany(c => c.EventTypes).ToHashSet(StringComparer.Ordinal);

        Assert.All(EventTypes.All, type => Assert.Contains(type, subscribed));
    }

    [Fact]
    public void Consumers_QueueNames_FollowTheServiceName()
    {
        Assert.Equal(["fanout-sms", "fanout-email", "fanout-inventory", "fanout-orderstatus"], FanoutTopology.Consumers.Select(c => c.QueueName));
        Assert.Equal("fanout-sms-dlq", FanoutTopology.Sms.DeadLetterQueueName);
    }

    private static ConsumerSpec Consumer(string service) => FanoutTopology.Consumers.Single(c => c.Service == service);

    private static List<ConsumerSpec> Replace(ConsumerSpec broken) => [.. FanoutTopology.Consumers.Select(c => c.Service == broken.Service ? broken : c)];
}

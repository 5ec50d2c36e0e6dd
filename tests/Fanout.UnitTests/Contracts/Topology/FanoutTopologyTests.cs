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

        Assert.Contains("'fanout-sms'", error.Message, StringComparison.Ordinal);
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

        Assert.Contains("'fanout-sms' is used twice", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("batch0")]
    [InlineData("batch11")]
    [InlineData("concurrency1")]
    [InlineData("receive0")]
    [InlineData("noTypes")]
    public void Validate_LimitOutsidePlatformRange_Throws(string change)
    {
        var sms = change switch
        {
            "batch0" => FanoutTopology.Sms with { BatchSize = 0 },
            "batch11" => FanoutTopology.Sms with { BatchSize = 11 },
            "concurrency1" => FanoutTopology.Sms with { MaxConcurrency = 1 },
            "receive0" => FanoutTopology.Sms with { MaxReceiveCount = 0 },
            _ => FanoutTopology.Sms with { EventTypes = [] },
        };

        Assert.Throws<TopologyException>(() => FanoutTopology.Validate([sms]));
    }

    [Theory]
    [InlineData("sms", new[] { EventTypes.OrderPlaced })]
    [InlineData("email", new[] { EventTypes.OrderPlaced })]
    [InlineData("inventory", new[] { EventTypes.OrderPlaced })]
    [InlineData("orderstatus", new[] { EventTypes.SmsSent, EventTypes.EmailSent, EventTypes.InventoryReserved, EventTypes.InventoryRejected })]
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
        Assert.Equal("{\"type\":[\"OrderPlaced\"]}", FanoutTopology.Sms.FilterPolicyJson);
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

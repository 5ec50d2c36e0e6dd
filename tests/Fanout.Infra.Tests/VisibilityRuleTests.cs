using Fanout.Contracts.Topology;
using Fanout.Infra.Tests.Support;

namespace Fanout.Infra.Tests;

/// <summary>aws-cdk#20527: CDK does not check a queue's visibility timeout against its consumer's timeout,
/// so the stack does, and synth fails with a message naming the queue and the numbers.</summary>
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
}

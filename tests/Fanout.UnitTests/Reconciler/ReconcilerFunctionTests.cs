using System.Text.Json;
using Fanout.AwsShims.Runtime;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Metrics;
using Fanout.Orders.Outbox;
using Fanout.Reconciler;
using Fanout.Reconciler.Core;
using Fanout.UnitTests.OutboxRelay;
using Fanout.UnitTests.TestDoubles;
using Microsoft.Extensions.Time.Testing;

namespace Fanout.UnitTests.Reconciler;

[Trait("Category", "Unit")]
public sealed class ReconcilerFunctionTests : IDisposable
{
    private static readonly DateTimeOffset _now = StuckOrderReconcilerTests.Now;

    private readonly FakeOpenOrders _orders = new();
    private readonly InMemoryOutbox _outbox = new();
    private readonly StringWriter _output = new();

    public void Dispose() => _output.Dispose();

    private ReconcilerFunction Function(Fanout.Functions.Common.Publishing.IEventPublisher publisher)
    {
        var time = new FakeTimeProvider(_now);
        var reconciler = new StuckOrderReconciler(_orders, new OutboxDispatcher(_outbox, publisher), publisher, time, TimeSpan.FromMinutes(15));
        return new ReconcilerFunction(reconciler, new EmbeddedMetrics(_output, time), new FanoutLogger("reconciler", time, _output));
    }

    private static LambdaInvocation Invocation => new("req-9", _now.AddMinutes(1), null, null);

    private List<JsonDocument> Lines() =>
        [.. _output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l))];

    [Fact]
    public async Task InvokeAsync_TwoStuckOrders_WritesStuckOrdersTwoAsEmfAndAnswersTheSummary()
    {
        _orders.Shards[0] = [StuckOrderReconcilerTests.Open("a")];
        _orders.Shards[3] = [StuckOrderReconcilerTests.Open("b")];

        var response = await Function(new RecordingEventPublisher()).InvokeAsync("""{"source":"aws.scheduler"}"""u8.ToArray(), Invocation, TestContext.Current.CancellationToken);

        Assert.Equal("""{"stuckOrders":2,"dispatchedFromOutbox":0,"republished":2,"failed":0,"failedShards":0}""", System.Text.Encoding.UTF8.GetString(response));
        var lines = Lines();
        Assert.Equal(EmbeddedMetrics.Format(_now, "Fanout", "orders", "StuckOrders", "Count", 2), _output.ToString().Split('\n')[0].TrimEnd('\r'));
        Assert.Equal("Reconciler run done", lines[1].RootElement.GetProperty("message").GetString());
        Assert.Equal("Information", lines[1].RootElement.GetProperty("level").GetString());
        Assert.Equal(2, lines[1].RootElement.GetProperty("stuckOrders").GetInt32());
        Assert.Equal("req-9", lines[1].RootElement.GetProperty("requestId").GetString());
    }

    [Fact]
    public async Task InvokeAsync_NothingStuck_StillWritesTheMetricAsZero()
    {
        await Function(new RecordingEventPublisher()).InvokeAsync("{}"u8.ToArray(), Invocation, TestContext.Current.CancellationToken);

        Assert.Equal(0, Lines()[0].RootElement.GetProperty("StuckOrders").GetInt32());
    }

    [Fact]
    public async Task InvokeAsync_PublishFails_LogsTheOrderIdAsAnErrorAndWarnsInTheSummary()
    {
        _orders.Shards[1] = [StuckOrderReconcilerTests.Open("a")];
        var publisher = new RecordingEventPublisher { FailWith = new TimeoutException("topic down") };

        var response = await Function(publisher).InvokeAsync("{}"u8.ToArray(), Invocation, TestContext.Current.CancellationToken);

        Assert.Contains("\"failed\":1", System.Text.Encoding.UTF8.GetString(response), StringComparison.Ordinal);
        var lines = Lines();
        Assert.Equal("Pending fact not republished", lines[0].RootElement.GetProperty("message").GetString());
        Assert.Equal("a", lines[0].RootElement.GetProperty("orderId").GetString());
        Assert.Equal(1, lines[0].RootElement.GetProperty("shard").GetInt32());
        Assert.Equal(1, lines[1].RootElement.GetProperty("StuckOrders").GetInt32());
        Assert.Equal("Warning", lines[2].RootElement.GetProperty("level").GetString());
        Assert.DoesNotContain("4155550123", _output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_ShardUnreadable_LogsTheShard()
    {
        _orders.FailingShard = (2, new InvalidOperationException("throttled"));

        await Function(new RecordingEventPublisher()).InvokeAsync("{}"u8.ToArray(), Invocation, TestContext.Current.CancellationToken);

        var first = Lines()[0].RootElement;
        Assert.Equal("Open orders shard not read", first.GetProperty("message").GetString());
        Assert.Equal(2, first.GetProperty("shard").GetInt32());
        Assert.False(first.TryGetProperty("orderId", out _));
    }
}

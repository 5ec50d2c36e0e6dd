using Fanout.Cli.Dlq;
using Fanout.Cli.Tests.TestDoubles;

namespace Fanout.Cli.Tests.Dlq;

[Trait("Category", "Unit")]
public sealed class DlqInspectorTests
{
    private const string Dlq = "http://sqs/000000000000/fanout-email-dlq";

    private sealed class Reasons(string messageId) : IFailureReasons
    {
        public Task<FailureLookup> FindAsync(string id, CancellationToken cancellationToken) =>
            Task.FromResult(id == messageId ? new FailureLookup(new FailureRecord("boom", "InvalidOperationException", true, 5, "2026-01-01T00:00:00Z"), null) : FailureLookup.None);
    }

    [Fact]
    public async Task PeekAsync_Messages_AreAllVisibleAgainAfterwards()
    {
        var queues = new FakeQueueOps();
        for (var i = 0; i < 15; i++)
        {
            queues.Add(Dlq, "m" + i);
        }

        var entries = await new DlqInspector(queues, new Reasons("none")).PeekAsync(Dlq, 12, null, TestContext.Current.CancellationToken);

        Assert.Equal(12, entries.Count);
        Assert.Equal(15, queues.Visible(Dlq));
        Assert.DoesNotContain(queues.Log, l => l.StartsWith("delete", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PeekAsync_RecordedFailure_IsAttachedToItsMessage()
    {
        var queues = new FakeQueueOps();
        queues.Add(Dlq, "fine");
        var poisoned = queues.Add(Dlq, "poison");

        var entries = await new DlqInspector(queues, new Reasons(poisoned)).PeekAsync(Dlq, 10, null, TestContext.Current.CancellationToken);

        Assert.Equal("boom", entries.Single(e => e.Message.MessageId == poisoned).Failure.Record!.Reason);
        Assert.Null(entries.Single(e => e.Message.MessageId != poisoned).Failure.Record);
    }

    [Fact]
    public async Task PeekAsync_StopAt_StopsOnceTheMessageIsSeen()
    {
        var queues = new FakeQueueOps();
        var first = queues.Add(Dlq, "first");
        for (var i = 0; i < 30; i++)
        {
            queues.Add(Dlq, "other" + i);
        }

        var entries = await new DlqInspector(queues, new Reasons("none")).PeekAsync(Dlq, 100, first, TestContext.Current.CancellationToken);

        Assert.Contains(entries, e => e.Message.MessageId == first);
        Assert.Single(queues.Log, l => l.StartsWith("receive", StringComparison.Ordinal));
        Assert.Equal(31, queues.Visible(Dlq));
    }
}

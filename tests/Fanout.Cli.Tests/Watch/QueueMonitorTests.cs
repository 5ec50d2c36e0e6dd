using Fanout.Cli.Targeting;
using Fanout.Cli.Tests.TestDoubles;
using Fanout.Cli.Watch;

namespace Fanout.Cli.Tests.Watch;

[Trait("Category", "Unit")]
public sealed class QueueMonitorTests
{
    [Fact]
    public async Task SnapshotAsync_Queues_ReportsDepthsWithoutReceiving()
    {
        var queues = new FakeQueueOps();
        queues.Add("http://q/sms", "a");
        queues.Add("http://q/sms", "b");
        queues.Add("http://q/sms-dlq", "dead");
        await queues.ReceiveAsync("http://q/sms", 1, TimeSpan.FromSeconds(30), TimeSpan.Zero, TestContext.Current.CancellationToken);
        queues.Log.Clear();
        var monitor = new QueueMonitor(queues, new NoOldestMessageAge(), [new QueuePair("sms", "http://q/sms", "http://q/sms-dlq"), new QueuePair("email", "http://q/email", "http://q/email-dlq")]);

        var snapshot = await monitor.SnapshotAsync(TestContext.Current.CancellationToken);

        Assert.Equal(["sms", "email"], snapshot.Select(s => s.Service));
        Assert.Equal(1, snapshot[0].Queue!.Visible);
        Assert.Equal(1, snapshot[0].Queue!.InFlight);
        Assert.Equal(1, snapshot[0].DeadLetter!.Visible);
        Assert.Equal(0, snapshot[1].Queue!.Visible);
        Assert.Empty(queues.Log);
    }
}

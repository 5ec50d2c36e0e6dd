using Amazon.SQS.Model;
using Fanout.Cli.Dlq;
using Fanout.Cli.Queues;
using Fanout.Cli.Tests.TestDoubles;

namespace Fanout.Cli.Tests.Dlq;

[Trait("Category", "Unit")]
public sealed class DlqRedriverTests
{
    private const string Dlq = "http://sqs/000000000000/fanout-sms-dlq";
    private const string Source = "http://sqs/000000000000/fanout-sms";

    private static readonly RedriveOptions _manual = new() { Strategy = RedriveStrategy.Manual, RatePerSecond = 1000, ReceiveWait = TimeSpan.Zero };

    private static Task<RedriveResult> RedriveAsync(FakeQueueOps queues, RedriveOptions options, CancellationToken? ct = null) =>
        new DlqRedriver(queues, TimeProvider.System).RedriveAsync(Dlq, Source, options, null, ct ?? TestContext.Current.CancellationToken);

    [Fact]
    public async Task RedriveAsync_Manual_SendsEachMessageBeforeDeletingIt()
    {
        var queues = new FakeQueueOps();
        queues.Add(Dlq, "a");
        queues.Add(Dlq, "b");

        var result = await RedriveAsync(queues, _manual);

        Assert.Equal(2, result.Moved);
        Assert.Equal(0, result.Failed);
        Assert.Equal(RedriveMethod.ReceiveSendDelete, result.Method);
        foreach (var body in new[] { "a", "b" })
        {
            var sent = queues.Log.IndexOf($"send fanout-sms {body}");
            var deleted = queues.Log.IndexOf($"delete fanout-sms-dlq {body}");
            Assert.True(sent >= 0 && deleted > sent, string.Join(" | ", queues.Log));
        }

        Assert.Empty(queues.Messages(Dlq));
        Assert.Equal(["a", "b"], queues.Bodies(Source).Order());
    }

    [Fact]
    public async Task RedriveAsync_Manual_CarriesMessageAttributesOver()
    {
        var queues = new FakeQueueOps();
        queues.Add(Dlq, "a", new Dictionary<string, MessageAttributeValue> { ["type"] = new() { DataType = "String", StringValue = "OrderPlaced" } });

        await RedriveAsync(queues, _manual);

        var moved = Assert.Single(queues.Messages(Source));
        Assert.Equal("OrderPlaced", moved.Attributes["type"].StringValue);
    }

    [Fact]
    public async Task RedriveAsync_SendFails_KeepsTheMessageInTheDlqVisibleAndNeverDeletesIt()
    {
        var queues = new FakeQueueOps { FailSend = body => body == "bad" };
        queues.Add(Dlq, "good-1");
        var badId = queues.Add(Dlq, "bad");
        queues.Add(Dlq, "good-2");

        var result = await RedriveAsync(queues, _manual);

        Assert.Equal(2, result.Moved);
        Assert.Equal(1, result.Failed);
        Assert.Equal(badId, Assert.Single(result.Failures).MessageId);
        Assert.DoesNotContain(queues.Log, l => l.StartsWith("delete fanout-sms-dlq bad", StringComparison.Ordinal));
        var kept = Assert.Single(queues.Messages(Dlq));
        Assert.Equal("bad", kept.Body);
        Assert.Null(kept.Handle);
        Assert.Equal(["good-1", "good-2"], queues.Bodies(Source).Order());
    }

    [Fact]
    public async Task RedriveAsync_ChecksumMismatch_KeepsTheOriginal()
    {
        var queues = new FakeQueueOps { CorruptSend = body => body == "x" };
        queues.Add(Dlq, "x");

        var result = await RedriveAsync(queues, _manual);

        Assert.Equal(0, result.Moved);
        Assert.Equal(1, result.Failed);
        Assert.Contains("MD5", result.Failures[0].Reason, StringComparison.Ordinal);
        Assert.Equal("x", Assert.Single(queues.Messages(Dlq)).Body);
    }

    [Fact]
    public async Task RedriveAsync_DeleteFails_CountsAsFailedAndLeavesTheDlqCopyVisible()
    {
        var queues = new FakeQueueOps { FailDelete = body => body == "sticky" };
        queues.Add(Dlq, "sticky");

        var result = await RedriveAsync(queues, _manual);

        Assert.Equal(0, result.Moved);
        Assert.Equal(1, result.Failed);
        Assert.Contains("duplicate", result.Failures[0].Reason, StringComparison.Ordinal);
        Assert.Null(Assert.Single(queues.Messages(Dlq)).Handle);
        Assert.Equal(["sticky"], queues.Bodies(Source));
    }

    [Fact]
    public async Task RedriveAsync_FailedMessageReappears_IsNotRetriedInTheSameRun()
    {
        var queues = new FakeQueueOps { FailSend = body => body == "bad" };
        queues.Add(Dlq, "bad");
        for (var i = 0; i < 12; i++)
        {
            queues.Add(Dlq, "ok-" + i);
        }

        // The failed message's visibility runs out while the others are moved, so later receives return it again.
        queues.FailSend = body =>
        {
            queues.ExpireVisibility(Dlq, b => b == "bad");
            return body == "bad";
        };

        var result = await RedriveAsync(queues, _manual);

        Assert.Equal(12, result.Moved);
        Assert.Equal(1, result.Failed);
        Assert.Single(queues.Log, l => l.StartsWith("send-failed", StringComparison.Ordinal));
        Assert.Equal("bad", Assert.Single(queues.Messages(Dlq)).Body);
    }

    [Fact]
    public async Task RedriveAsync_Max_StopsAfterThatManyAndLeavesTheRest()
    {
        var queues = new FakeQueueOps();
        for (var i = 0; i < 25; i++)
        {
            queues.Add(Dlq, "m" + i);
        }

        var result = await RedriveAsync(queues, _manual with { MaxMessages = 13 });

        Assert.Equal(13, result.Moved);
        Assert.Equal(13, queues.Messages(Source).Count);
        Assert.Equal(12, queues.Visible(Dlq));
    }

    [Fact]
    public async Task RedriveAsync_AutoWithoutMoveTaskSupport_FallsBackAndSaysWhy()
    {
        var queues = new FakeQueueOps();
        queues.Add(Dlq, "a");

        var result = await RedriveAsync(queues, _manual with { Strategy = RedriveStrategy.Auto });

        Assert.Equal(RedriveMethod.ReceiveSendDelete, result.Method);
        Assert.Equal(1, result.Moved);
        Assert.Contains("InvalidAction", result.Note, StringComparison.Ordinal);
        Assert.Contains(queues.Log, l => l.StartsWith("start-move-task arn:aws:sqs:us-east-1:000000000000:fanout-sms-dlq -> arn:aws:sqs:us-east-1:000000000000:fanout-sms", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RedriveAsync_AutoWithMax_SkipsTheMoveTask()
    {
        var queues = new FakeQueueOps();
        queues.Add(Dlq, "a");

        var result = await RedriveAsync(queues, _manual with { Strategy = RedriveStrategy.Auto, MaxMessages = 1 });

        Assert.Equal(1, result.Moved);
        Assert.DoesNotContain(queues.Log, l => l.StartsWith("start-move-task", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RedriveAsync_MoveTaskSupported_FollowsItToCompletionWithoutTouchingMessages()
    {
        var queues = new FakeQueueOps { MoveTaskAnswer = new MoveTaskStart("task-1", null) };
        queues.MoveTaskStatuses.Enqueue(new MoveTaskStatus("RUNNING", 3, 10, null));
        queues.MoveTaskStatuses.Enqueue(new MoveTaskStatus("COMPLETED", 10, 10, null));

        var result = await RedriveAsync(queues, new RedriveOptions { RatePerSecond = 2000, MoveTaskPollInterval = TimeSpan.FromMilliseconds(1) });

        Assert.Equal(RedriveMethod.MoveTask, result.Method);
        Assert.Equal(10, result.Moved);
        Assert.Equal(0, result.Failed);
        Assert.Contains(queues.Log, l => l.EndsWith("@500", StringComparison.Ordinal));
        Assert.DoesNotContain(queues.Log, l => l.StartsWith("receive", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RedriveAsync_MoveTaskFails_ReportsTheUnmovedAsFailed()
    {
        var queues = new FakeQueueOps { MoveTaskAnswer = new MoveTaskStart("task-1", null) };
        queues.MoveTaskStatuses.Enqueue(new MoveTaskStatus("FAILED", 4, 10, "AccessDenied on destination"));

        var result = await RedriveAsync(queues, new RedriveOptions { MoveTaskPollInterval = TimeSpan.FromMilliseconds(1) });

        Assert.Equal(4, result.Moved);
        Assert.Equal(6, result.Failed);
        Assert.Equal("AccessDenied on destination", Assert.Single(result.Failures).Reason);
    }

    [Fact]
    public async Task RedriveAsync_MoveTaskRequestedButUnsupported_Throws()
    {
        var queues = new FakeQueueOps();

        await Assert.ThrowsAsync<NotSupportedException>(() => RedriveAsync(queues, _manual with { Strategy = RedriveStrategy.MoveTask }));
    }

    [Fact]
    public async Task RedriveAsync_CancelledMidway_ReleasesUnprocessedMessages()
    {
        var queues = new FakeQueueOps();
        for (var i = 0; i < 5; i++)
        {
            queues.Add(Dlq, "m" + i);
        }

        using var cancel = new CancellationTokenSource();
        queues.FailSend = body =>
        {
            if (body == "m1")
            {
                cancel.Cancel();
            }

            return false;
        };

        var result = await RedriveAsync(queues, _manual, cancel.Token);

        // The message being sent when Ctrl-C came is finished (its copy exists); the rest stay, visible, in the DLQ.
        Assert.True(result.Cancelled);
        Assert.Equal(2, result.Moved);
        Assert.Equal(["m0", "m1"], queues.Bodies(Source));
        Assert.Equal(["m2", "m3", "m4"], queues.Bodies(Dlq));
        Assert.Equal(3, queues.Visible(Dlq));
    }

    [Fact]
    public void Md5Hex_KnownBody_MatchesWhatSqsReturns()
    {
        // MD5("hello") as SQS reports it in MD5OfMessageBody.
        Assert.Equal("5d41402abc4b2a76b9719d911017c592", DlqRedriver.Md5Hex("hello"));
    }
}

using System.Diagnostics;
using System.Globalization;
using Amazon.SQS.Model;
using Fanout.Cli.Dlq;
using Fanout.Cli.Queues;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;

namespace Fanout.Cli.Tests.Integration;

/// <summary>The DLQ commands' machinery against real fauxqs and DynamoDB Local. Redrive tests use a queue pair of
/// their own (not drained by any consumer) so what arrives in the source queue can be checked exactly.</summary>
[Trait("Category", "Integration")]
public sealed class DlqRedriveIntegrationTests(LocalFanoutFixture fixture) : IClassFixture<LocalFanoutFixture>
{
    private static readonly RedriveOptions _fast = new() { RatePerSecond = 200, ReceiveWait = TimeSpan.FromSeconds(1) };

    private async Task<(string Source, string Dlq)> CreatePairAsync(CancellationToken ct)
    {
        var sqs = fixture.Fanout.Sqs;
        var name = "cli-test-" + Guid.NewGuid().ToString("N")[..8];
        var dlq = (await sqs.CreateQueueAsync(new CreateQueueRequest { QueueName = name + "-dlq" }, ct)).QueueUrl;
        var dlqArn = (await sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = dlq, AttributeNames = ["QueueArn"] }, ct)).Attributes["QueueArn"];
        var source = (await sqs.CreateQueueAsync(
            new CreateQueueRequest
            {
                QueueName = name,
                Attributes = new Dictionary<string, string> { ["RedrivePolicy"] = $"{{\"deadLetterTargetArn\":\"{dlqArn}\",\"maxReceiveCount\":\"3\"}}" },
            },
            ct)).QueueUrl;
        return (source, dlq);
    }

    private async Task<List<string>> SendAsync(string queueUrl, int count, string prefix, CancellationToken ct)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var response = await fixture.Fanout.Sqs.SendMessageAsync(
                new SendMessageRequest
                {
                    QueueUrl = queueUrl,
                    MessageBody = $"{{\"n\":{i.ToString(CultureInfo.InvariantCulture)},\"p\":\"{prefix}\"}}",
                    MessageAttributes = new Dictionary<string, MessageAttributeValue>
                    {
                        [EventAttributes.Type] = new() { DataType = "String", StringValue = EventTypes.OrderPlaced },
                        ["n"] = new() { DataType = "Number", StringValue = i.ToString(CultureInfo.InvariantCulture) },
                    },
                },
                ct);
            ids.Add(response.MessageId);
        }

        return ids;
    }

    private async Task<List<Message>> DrainAsync(string queueUrl, CancellationToken ct)
    {
        var all = new List<Message>();
        while (true)
        {
            var response = await fixture.Fanout.Sqs.ReceiveMessageAsync(
                new ReceiveMessageRequest { QueueUrl = queueUrl, MaxNumberOfMessages = 10, WaitTimeSeconds = 1, VisibilityTimeout = 60, MessageAttributeNames = ["All"] },
                ct);
            if (response.Messages is not { Count: > 0 } messages)
            {
                return all;
            }

            all.AddRange(messages);
        }
    }

    private async Task<(long Visible, long InFlight)> DepthAsync(string queueUrl, CancellationToken ct)
    {
        var counts = await new SqsQueueOps(fixture.Fanout.Sqs).GetCountsAsync(queueUrl, ct);
        return (counts.Visible, counts.InFlight);
    }

    [Fact]
    public async Task StartMoveTask_OnFauxqs_IsReportedAsUnsupported()
    {
        var ct = TestContext.Current.CancellationToken;
        var (source, dlq) = await CreatePairAsync(ct);
        var ops = new SqsQueueOps(fixture.Fanout.Sqs);

        var start = await ops.StartMoveTaskAsync(await ops.GetArnAsync(dlq, ct), await ops.GetArnAsync(source, ct), 10, ct);

        Assert.Null(start.TaskHandle);
        Assert.Contains("InvalidAction", start.UnsupportedReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RedriveAsync_Auto_MovesEveryMessageWithItsAttributesAndEmptiesTheDlq()
    {
        var ct = TestContext.Current.CancellationToken;
        var (source, dlq) = await CreatePairAsync(ct);
        await SendAsync(dlq, 23, "auto", ct);

        var result = await new DlqRedriver(new SqsQueueOps(fixture.Fanout.Sqs), TimeProvider.System).RedriveAsync(dlq, source, _fast, null, ct);

        Assert.Equal(RedriveMethod.ReceiveSendDelete, result.Method);
        Assert.Contains("StartMessageMoveTask is not supported", result.Note, StringComparison.Ordinal);
        Assert.Equal(23, result.Moved);
        Assert.Equal(0, result.Failed);
        Assert.Equal((0, 0), await DepthAsync(dlq, ct));
        var moved = await DrainAsync(source, ct);
        Assert.Equal(23, moved.Count);
        Assert.Equal(Enumerable.Range(0, 23), moved.Select(m => int.Parse(m.MessageAttributes["n"].StringValue, CultureInfo.InvariantCulture)).Order());
        Assert.All(moved, m =>
        {
            Assert.Equal(EventTypes.OrderPlaced, m.MessageAttributes[EventAttributes.Type].StringValue);
            Assert.Equal("Number", m.MessageAttributes["n"].DataType);
            Assert.Contains("\"p\":\"auto\"", m.Body, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task RedriveAsync_SendFailsForOneMessage_LeavesItVisibleInTheDlqAndMovesTheRest()
    {
        var ct = TestContext.Current.CancellationToken;
        var (source, dlq) = await CreatePairAsync(ct);
        await SendAsync(dlq, 5, "partial", ct);
        var ops = new FailingSendQueueOps(new SqsQueueOps(fixture.Fanout.Sqs), body => body.Contains("\"n\":2,", StringComparison.Ordinal));

        var result = await new DlqRedriver(ops, TimeProvider.System).RedriveAsync(dlq, source, _fast with { Strategy = RedriveStrategy.Manual }, null, ct);

        Assert.Equal(4, result.Moved);
        Assert.Equal(1, result.Failed);
        Assert.Equal((1, 0), await DepthAsync(dlq, ct));
        var left = Assert.Single(await DrainAsync(dlq, ct));
        Assert.Contains("\"n\":2,", left.Body, StringComparison.Ordinal);
        Assert.Equal(4, (await DrainAsync(source, ct)).Count);
    }

    [Fact]
    public async Task RedriveAsync_Max_MovesOnlyThatMany()
    {
        var ct = TestContext.Current.CancellationToken;
        var (source, dlq) = await CreatePairAsync(ct);
        await SendAsync(dlq, 12, "max", ct);

        var result = await new DlqRedriver(new SqsQueueOps(fixture.Fanout.Sqs), TimeProvider.System).RedriveAsync(dlq, source, _fast with { MaxMessages = 5 }, null, ct);

        Assert.Equal(5, result.Moved);
        Assert.Equal((7, 0), await DepthAsync(dlq, ct));
        Assert.Equal((5, 0), await DepthAsync(source, ct));
    }

    [Fact]
    public async Task RedriveAsync_RateLimit_SpacesTheSends()
    {
        var ct = TestContext.Current.CancellationToken;
        var (source, dlq) = await CreatePairAsync(ct);
        await SendAsync(dlq, 6, "rate", ct);
        var clock = Stopwatch.StartNew();

        var result = await new DlqRedriver(new SqsQueueOps(fixture.Fanout.Sqs), TimeProvider.System).RedriveAsync(dlq, source, _fast with { RatePerSecond = 5 }, null, ct);

        // Six sends at 5/s: the first is free, five more need a fifth of a second each.
        Assert.Equal(6, result.Moved);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(950), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task PeekAsync_RealPoisonMessage_ShowsTheRecordedReasonAndLeavesTheMessage()
    {
        var ct = TestContext.Current.CancellationToken;
        var fanout = fixture.Fanout;
        var queue = fanout.Topology.QueueFor(FanoutTopology.Email);
        const string poison = "{\"specversion\":\"1.0\",\"id\":\"cli-poison\",\"type\":\"OrderPlaced\",\"data\":42}";
        var poisonId = (await fanout.Sqs.SendMessageAsync(
            new SendMessageRequest
            {
                QueueUrl = queue.QueueUrl,
                MessageBody = poison,
                MessageAttributes = new Dictionary<string, MessageAttributeValue> { [EventAttributes.Type] = new() { DataType = "String", StringValue = EventTypes.OrderPlaced } },
            },
            ct)).MessageId;

        // The email consumer fails it maxReceiveCount times; the queue's redrive policy then moves it to the DLQ.
        var deadline = Stopwatch.StartNew();
        while ((await DepthAsync(queue.DeadLetterQueueUrl, ct)).Visible < 1)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), "the poison message did not reach the DLQ in 60 s");
            await Task.Delay(250, ct);
        }

        var inspector = new DlqInspector(new SqsQueueOps(fanout.Sqs), new DynamoFailureReasons(fanout.Dynamo, fanout.Topology.TableFor(FanoutTopology.EmailTable)));
        var entries = await inspector.PeekAsync(queue.DeadLetterQueueUrl, 10, poisonId, ct);

        var entry = Assert.Single(entries, e => e.Message.MessageId == poisonId);
        Assert.Equal(poison, entry.Message.Body);
        Assert.True(entry.Message.ReceiveCount >= FanoutTopology.Email.MaxReceiveCount);
        Assert.NotNull(entry.Message.SentAt);
        Assert.True(entry.Failure.Record!.Poison);
        Assert.False(string.IsNullOrWhiteSpace(entry.Failure.Record.Reason));
        Assert.Equal((1, 0), await DepthAsync(queue.DeadLetterQueueUrl, ct));
    }

    /// <summary>Fails the send of matching bodies, as a throttled or unreachable source queue would.</summary>
    private sealed class FailingSendQueueOps(IQueueOps inner, Func<string, bool> fail) : IQueueOps
    {
        public Task<IReadOnlyList<QueueMessage>> ReceiveAsync(string queueUrl, int maxMessages, TimeSpan visibilityTimeout, TimeSpan wait, CancellationToken cancellationToken) =>
            inner.ReceiveAsync(queueUrl, maxMessages, visibilityTimeout, wait, cancellationToken);

        public Task<SentMessage> SendAsync(string queueUrl, string body, IReadOnlyDictionary<string, MessageAttributeValue> messageAttributes, CancellationToken cancellationToken) =>
            fail(body) ? throw new Amazon.SQS.AmazonSQSException("injected: source queue unavailable") : inner.SendAsync(queueUrl, body, messageAttributes, cancellationToken);

        public Task DeleteAsync(string queueUrl, string receiptHandle, CancellationToken cancellationToken) => inner.DeleteAsync(queueUrl, receiptHandle, cancellationToken);

        public Task<int> ChangeVisibilityAsync(string queueUrl, IReadOnlyList<string> receiptHandles, TimeSpan visibilityTimeout, CancellationToken cancellationToken) =>
            inner.ChangeVisibilityAsync(queueUrl, receiptHandles, visibilityTimeout, cancellationToken);

        public Task<QueueCounts> GetCountsAsync(string queueUrl, CancellationToken cancellationToken) => inner.GetCountsAsync(queueUrl, cancellationToken);

        public Task<string> GetArnAsync(string queueUrl, CancellationToken cancellationToken) => inner.GetArnAsync(queueUrl, cancellationToken);

        public Task<MoveTaskStart> StartMoveTaskAsync(string sourceArn, string destinationArn, int maxPerSecond, CancellationToken cancellationToken) =>
            inner.StartMoveTaskAsync(sourceArn, destinationArn, maxPerSecond, cancellationToken);

        public Task<MoveTaskStatus?> GetMoveTaskAsync(string sourceArn, string taskHandle, CancellationToken cancellationToken) => inner.GetMoveTaskAsync(sourceArn, taskHandle, cancellationToken);

        public Task CancelMoveTaskAsync(string taskHandle, CancellationToken cancellationToken) => inner.CancelMoveTaskAsync(taskHandle, cancellationToken);
    }
}

using System.Globalization;
using System.Text.Json;
using Fanout.AwsShims.Events;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Sqs;
using Fanout.Functions.Common.Tracing;
using Fanout.UnitTests.TestEvents;
using Microsoft.Extensions.Time.Testing;

namespace Fanout.UnitTests.Functions.Common.Sqs;

/// <summary>The EMF line the batch loop writes per record (issue 10's log line contract).</summary>
[Trait("Category", "Unit")]
public sealed class SqsBatchFunctionMetricsTests : IDisposable
{
    private const string OrderId = "0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
    private const string EventId = "0195a1b2-c3d4-8e5f-8a9b-0c1d2e3f4a5b";
    private const string Upstream = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    private static readonly DateTimeOffset Deadline = TestClock.Start.AddMinutes(1);
    private readonly FakeTimeProvider _time = TestClock.Create();
    private readonly StringWriter _log = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _log.Dispose();

    [Fact]
    public async Task ProcessAsync_OneHandledRecord_WritesExactlyTheContractsEmfLine()
    {
        TraceContext? seen = null;
        var handler = new LambdaHandler(_ =>
        {
            seen = TraceScope.Current;
            RecordContext.Identify(EventTypes.OrderPlaced, EventId, OrderId);
            RecordContext.AddCapacity(2, 0.5);
            _time.Advance(TimeSpan.FromMilliseconds(40));
            return Task.CompletedTask;
        });
        var message = Message("m-1", sentAt: TestClock.Start.AddMilliseconds(-1500), traceParent: Upstream);

        await Function(handler).ProcessAsync(new SqsEvent { Records = [message] }, Deadline, Ct);

        Assert.NotNull(seen);
        var expected =
            "{\"_aws\":{\"Timestamp\":" + TestClock.Start.AddMilliseconds(40).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)
            + ",\"CloudWatchMetrics\":[{\"Namespace\":\"Fanout\",\"Dimensions\":[[\"Service\"],[\"Service\",\"EventType\"]],\"Metrics\":["
            + "{\"Name\":\"QueueWaitTime\",\"Unit\":\"Milliseconds\"},{\"Name\":\"ProcessingTime\",\"Unit\":\"Milliseconds\"},"
            + "{\"Name\":\"Received\",\"Unit\":\"Count\"},{\"Name\":\"Handled\",\"Unit\":\"Count\"},{\"Name\":\"Retried\",\"Unit\":\"Count\"},"
            + "{\"Name\":\"WriteUnits\",\"Unit\":\"Count\"},{\"Name\":\"ReadUnits\",\"Unit\":\"Count\"}]}]},"
            + "\"Service\":\"sms\",\"EventType\":\"OrderPlaced\",\"QueueWaitTime\":1500,\"ProcessingTime\":40,\"Received\":1,\"Handled\":1,"
            + "\"Retried\":0,\"WriteUnits\":2,\"ReadUnits\":0.5,\"messageId\":\"m-1\",\"eventId\":\"" + EventId + "\",\"orderId\":\"" + OrderId
            + "\",\"correlationId\":\"corr-1\",\"traceparent\":\"" + seen.Value + "\",\"receiveCount\":\"1\",\"outcome\":\"handled\","
            + "\"startedAt\":\"2026-03-14T09:26:53.000Z\"}";
        Assert.Equal(expected, Assert.Single(MetricLines()).GetRawText());
    }

    [Fact]
    public async Task ProcessAsync_TraceParentAttribute_RunsTheRecordUnderAChildOfIt()
    {
        TraceContext? seen = null;
        var handler = new LambdaHandler(_ =>
        {
            seen = TraceScope.Current;
            new FanoutLogger("sms", _time, _log).Info("inside");
            return Task.CompletedTask;
        });

        await Function(handler).ProcessAsync(new SqsEvent { Records = [Message("m-1", traceParent: Upstream)] }, Deadline, Ct);

        Assert.NotNull(seen);
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", seen.TraceId);
        Assert.NotEqual("00f067aa0ba902b7", seen.ParentId);
        var inside = Assert.Single(AllLines(), l => l.TryGetProperty("message", out var m) && m.GetString() == "inside");
        Assert.Equal(seen.Value, inside.GetProperty("traceparent").GetString());
        Assert.Equal(seen.Value, Assert.Single(MetricLines()).GetProperty("traceparent").GetString());
        Assert.Null(TraceScope.Current);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("00-00000000000000000000000000000000-00f067aa0ba902b7-01")]
    [InlineData("not a traceparent")]
    public async Task ProcessAsync_NoUsableTraceParent_StartsANewTracePerRecord(string? attribute)
    {
        var seen = new List<TraceContext?>();
        var handler = new LambdaHandler(_ =>
        {
            lock (seen)
            {
                seen.Add(TraceScope.Current);
            }

            return Task.CompletedTask;
        });

        await Function(handler).ProcessAsync(new SqsEvent { Records = [Message("m-1", traceParent: attribute), Message("m-2", traceParent: attribute)] }, Deadline, Ct);

        Assert.Equal(2, seen.Count);
        Assert.All(seen, Assert.NotNull);
        Assert.NotEqual(seen[0]!.TraceId, seen[1]!.TraceId);
    }

    [Fact]
    public async Task ProcessAsync_DuplicateMarked_CountsDuplicateNotHandled()
    {
        var handler = new LambdaHandler(_ =>
        {
            RecordContext.MarkDuplicate();
            return Task.CompletedTask;
        });

        await Function(handler).ProcessAsync(new SqsEvent { Records = [Message("m-1", receiveCount: 2)] }, Deadline, Ct);

        var line = Assert.Single(MetricLines());
        Assert.Equal(1, line.GetProperty(FanoutMetrics.Duplicate).GetDouble());
        Assert.Equal(1, line.GetProperty(FanoutMetrics.Retried).GetDouble());
        Assert.False(line.TryGetProperty(FanoutMetrics.Handled, out _));
        Assert.Equal("duplicate", line.GetProperty("outcome").GetString());
        Assert.Equal("2", line.GetProperty("receiveCount").GetString());
        Assert.Equal(OutcomeMetrics(FanoutMetrics.Duplicate, firstReceive: false), MetricNames(line));
    }

    [Fact]
    public async Task ProcessAsync_Poison_CountsPoisonWithItsProcessingTime()
    {
        var handler = new LambdaHandler(_ =>
        {
            _time.Advance(TimeSpan.FromMilliseconds(7));
            throw new PoisonMessageException("broken");
        });

        await Function(handler).ProcessAsync(new SqsEvent { Records = [Message("m-1")] }, Deadline, Ct);

        var line = Assert.Single(MetricLines());
        Assert.Equal(1, line.GetProperty(FanoutMetrics.Poison).GetDouble());
        Assert.Equal(7, line.GetProperty(FanoutMetrics.ProcessingTime).GetDouble());
        Assert.Equal("poison", line.GetProperty("outcome").GetString());
        Assert.Equal(OutcomeMetrics(FanoutMetrics.Poison), MetricNames(line));
    }

    [Fact]
    public async Task ProcessAsync_PoisonReceivedAgain_IsNotCountedRetried()
    {
        // Poison comes back at once so redrive parks it: those receives are the way to the DLQ, not retries.
        var handler = new LambdaHandler(_ => throw new PoisonMessageException("broken"));

        await Function(handler).ProcessAsync(new SqsEvent { Records = [Message("m-1", receiveCount: 4)] }, Deadline, Ct);

        var line = Assert.Single(MetricLines());
        Assert.Equal(1, line.GetProperty(FanoutMetrics.Poison).GetDouble());
        Assert.Equal(0, line.GetProperty(FanoutMetrics.Retried).GetDouble());
    }

    [Fact]
    public async Task ProcessAsync_Redelivery_LeavesQueueWaitTimeOut()
    {
        // A redelivery's SentTimestamp is the first send: its "wait" would be the backoff, not a backlog.
        _time.Advance(TimeSpan.FromSeconds(30));
        var message = Message("m-1", sentAt: TestClock.Start, receiveCount: 2);

        await Function(new LambdaHandler(_ => Task.CompletedTask)).ProcessAsync(new SqsEvent { Records = [message] }, Deadline, Ct);

        var line = Assert.Single(MetricLines());
        Assert.False(line.TryGetProperty(FanoutMetrics.QueueWaitTime, out _));
        Assert.Equal(1, line.GetProperty(FanoutMetrics.Retried).GetDouble());
        Assert.True(line.TryGetProperty(FanoutMetrics.ProcessingTime, out _));
    }

    [Fact]
    public async Task ProcessAsync_TransientFailure_CountsFailed()
    {
        var handler = new LambdaHandler(_ => throw new TimeoutException("slow"));

        await Function(handler).ProcessAsync(new SqsEvent { Records = [Message("m-1", receiveCount: 3)] }, Deadline, Ct);

        var line = Assert.Single(MetricLines());
        Assert.Equal(1, line.GetProperty(FanoutMetrics.Failed).GetDouble());
        Assert.Equal(1, line.GetProperty(FanoutMetrics.Retried).GetDouble());
        Assert.Equal("failed", line.GetProperty("outcome").GetString());
        Assert.Equal(OutcomeMetrics(FanoutMetrics.Failed, firstReceive: false), MetricNames(line));
    }

    [Fact]
    public async Task ProcessAsync_RecordsNotStarted_EachGetAFailedLineWithoutTimings()
    {
        var handled = 0;
        var handler = new LambdaHandler(_ =>
        {
            Interlocked.Increment(ref handled);
            return Task.CompletedTask;
        });
        var function = Function(handler, new SqsBatchOptions { StartCutoff = TimeSpan.FromMinutes(2) });

        await function.ProcessAsync(new SqsEvent { Records = [Message("m-1", traceParent: Upstream), Message("m-2")] }, Deadline, Ct);

        Assert.Equal(0, handled);
        var lines = MetricLines();
        Assert.Equal(["m-1", "m-2"], lines.Select(l => l.GetProperty("messageId").GetString()));
        Assert.All(lines, l =>
        {
            Assert.Equal(1, l.GetProperty(FanoutMetrics.Failed).GetDouble());
            Assert.Equal("failed", l.GetProperty("outcome").GetString());
            Assert.Equal([FanoutMetrics.Received, FanoutMetrics.Failed, FanoutMetrics.Retried, FanoutMetrics.WriteUnits, FanoutMetrics.ReadUnits], MetricNames(l));
            Assert.False(l.TryGetProperty("startedAt", out _));
        });
        Assert.Equal(Upstream, lines[0].GetProperty("traceparent").GetString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-5")]
    [InlineData("1.5e12")]
    [InlineData("99999999999999999999")]
    public async Task ProcessAsync_SentTimestampAbsentOrGarbage_LeavesQueueWaitTimeOut(string? sentTimestamp)
    {
        var message = Message("m-1");
        if (sentTimestamp is null)
        {
            message.Attributes.Remove("SentTimestamp");
        }
        else
        {
            message.Attributes["SentTimestamp"] = sentTimestamp;
        }

        await Function(new LambdaHandler(_ => Task.CompletedTask)).ProcessAsync(new SqsEvent { Records = [message] }, Deadline, Ct);

        var line = Assert.Single(MetricLines());
        Assert.False(line.TryGetProperty(FanoutMetrics.QueueWaitTime, out _));
        Assert.Equal(1, line.GetProperty(FanoutMetrics.Handled).GetDouble());
    }

    [Fact]
    public async Task ProcessAsync_QueueWait_IsHandlerStartMinusSentTimestamp()
    {
        _time.Advance(TimeSpan.FromMilliseconds(2345));
        var message = Message("m-1", sentAt: TestClock.Start);

        await Function(new LambdaHandler(_ =>
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            return Task.CompletedTask;
        })).ProcessAsync(new SqsEvent { Records = [message] }, Deadline, Ct);

        var line = Assert.Single(MetricLines());
        Assert.Equal(2345, line.GetProperty(FanoutMetrics.QueueWaitTime).GetDouble());
        Assert.Equal(1000, line.GetProperty(FanoutMetrics.ProcessingTime).GetDouble());
        Assert.Equal("2026-03-14T09:26:55.345Z", line.GetProperty("startedAt").GetString());
    }

    [Fact]
    public async Task ProcessAsync_SentAfterTheHandlerClock_ClampsQueueWaitToZero()
    {
        var message = Message("m-1", sentAt: TestClock.Start.AddSeconds(3));

        await Function(new LambdaHandler(_ => Task.CompletedTask)).ProcessAsync(new SqsEvent { Records = [message] }, Deadline, Ct);

        Assert.Equal(0, Assert.Single(MetricLines()).GetProperty(FanoutMetrics.QueueWaitTime).GetDouble());
    }

    [Fact]
    public async Task ProcessAsync_ConcurrentRecords_KeepTheirOwnCapacityAndIdentity()
    {
        var handler = new LambdaHandler(async m =>
        {
            var units = m.MessageId == "m-1" ? 1 : 10;
            RecordContext.Identify(EventTypes.OrderPlaced, null, m.MessageId == "m-1" ? OrderId : null);
            await Task.Yield();
            RecordContext.AddCapacity(units, units);
            await Task.Yield();
            RecordContext.AddCapacity(units, 0);
        });

        await Function(handler).ProcessAsync(new SqsEvent { Records = [Message("m-1"), Message("m-2"), Message("m-3")] }, Deadline, Ct);

        var lines = MetricLines().ToDictionary(l => l.GetProperty("messageId").GetString()!);
        Assert.Equal(2, lines["m-1"].GetProperty(FanoutMetrics.WriteUnits).GetDouble());
        Assert.Equal(1, lines["m-1"].GetProperty(FanoutMetrics.ReadUnits).GetDouble());
        Assert.Equal(OrderId, lines["m-1"].GetProperty("orderId").GetString());
        Assert.Equal(20, lines["m-3"].GetProperty(FanoutMetrics.WriteUnits).GetDouble());
        Assert.False(lines["m-3"].TryGetProperty("orderId", out _));
    }

    /// <summary>The metric names of a record's line; a redelivery has no queue wait (its SentTimestamp is the first send).</summary>
    private static string[] OutcomeMetrics(string outcome, bool firstReceive = true) =>
        firstReceive
            ? [FanoutMetrics.QueueWaitTime, FanoutMetrics.ProcessingTime, FanoutMetrics.Received, outcome, FanoutMetrics.Retried, FanoutMetrics.WriteUnits, FanoutMetrics.ReadUnits]
            : [FanoutMetrics.ProcessingTime, FanoutMetrics.Received, outcome, FanoutMetrics.Retried, FanoutMetrics.WriteUnits, FanoutMetrics.ReadUnits];

    private static string[] MetricNames(JsonElement line) =>
        [.. line.GetProperty("_aws").GetProperty("CloudWatchMetrics")[0].GetProperty("Metrics").EnumerateArray().Select(m => m.GetProperty("Name").GetString()!)];

    private static SqsMessage Message(string messageId, DateTimeOffset? sentAt = null, string? traceParent = null, int receiveCount = 1)
    {
        var message = new SqsMessage
        {
            MessageId = messageId,
            ReceiptHandle = "receipt-" + messageId,
            Body = "{}",
            Attributes = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["ApproximateReceiveCount"] = receiveCount.ToString(CultureInfo.InvariantCulture),
                ["SentTimestamp"] = (sentAt ?? TestClock.Start).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            },
            EventSourceArn = "arn:aws:sqs:eu-west-1:123456789012:fanout-sms",
        };
        message.MessageAttributes[EventAttributes.CorrelationId] = new SqsMessageAttributeValue { StringValue = "corr-1" };
        if (traceParent is not null)
        {
            message.MessageAttributes[EventAttributes.TraceParent] = new SqsMessageAttributeValue { StringValue = traceParent };
        }

        return message;
    }

    private SqsBatchFunction Function(ISqsRecordHandler handler, SqsBatchOptions? options = null) =>
        new(handler, new FanoutLogger("sms", _time, _log), _time, options: options);

    private List<JsonElement> MetricLines() => [.. AllLines().Where(l => l.TryGetProperty("_aws", out _))];

    private List<JsonElement> AllLines() =>
        [.. _log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    private sealed class LambdaHandler(Func<SqsMessage, Task> handle) : ISqsRecordHandler
    {
        public Task HandleAsync(SqsMessage message, CancellationToken cancellationToken) => handle(message);
    }
}

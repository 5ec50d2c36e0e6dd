using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Fanout.AwsShims.Events;
using Fanout.AwsShims.Runtime;
using Fanout.Contracts.Events;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Sqs;
using Fanout.UnitTests.TestDoubles;
using Fanout.UnitTests.TestEvents;
using Microsoft.Extensions.Time.Testing;

namespace Fanout.UnitTests.Functions.Common.Sqs;

[Trait("Category", "Unit")]
public sealed class SqsBatchFunctionTests : IDisposable
{
    // The message ids of the three records in SampleEvents/sqs-event.json.
    private const string First = "059f36b4-87a3-44ab-83d2-661975830a7d";
    private const string Second = "2e1424d4-f796-459a-8184-9c92662be6da";
    private const string Third = "c80e8021-a70a-42c7-a470-796e1186f753";

    private const string QueueArn = "arn:aws:sqs:eu-west-1:123456789012:fanout-test";
    private static readonly DateTimeOffset Deadline = TestClock.Start.AddMinutes(1);
    private readonly FakeTimeProvider _time = TestClock.Create();
    private readonly StringWriter _log = new();
    private readonly ScriptedHandler _handler = new();
    private readonly RecordingMessageVisibility _visibility = new();
    private SqsBatchFunction _function;

    public SqsBatchFunctionTests()
    {
        _function = Create(new SqsBatchOptions());
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _log.Dispose();

    [Fact]
    public async Task InvokeAsync_SomeRecordsFail_ListsExactlyTheFailedOnes()
    {
        _handler.Fail(First, new PoisonMessageException("not a CloudEvent"));
        _handler.Fail(Third, new TimeoutException("SNS timed out"));

        var response = await Invoke(SampleEvents.Read(SampleEvents.Sqs));

        Assert.Equal($"{{\"batchItemFailures\":[{{\"itemIdentifier\":\"{First}\"}},{{\"itemIdentifier\":\"{Third}\"}}]}}", response);
        Assert.Equal([First, Second, Third], _handler.Handled.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task InvokeAsync_AllRecordsSucceed_SerialisesAnEmptyFailureList()
    {
        var response = await Invoke(SampleEvents.Read(SampleEvents.Sqs));

        Assert.Equal("{\"batchItemFailures\":[]}", response);
        Assert.Equal(3, _handler.Handled.Count);
    }

    [Fact]
    public async Task InvokeAsync_NoRecords_SerialisesAnEmptyFailureList()
    {
        Assert.Equal("{\"batchItemFailures\":[]}", await Invoke("{\"Records\":[]}"u8.ToArray()));
    }

    [Fact]
    public async Task InvokeAsync_EveryRecordFails_ListsEveryRecordInOrder()
    {
        _handler.Fail(First, new InvalidOperationException("a"));
        _handler.Fail(Second, new PoisonMessageException("b"));
        _handler.Fail(Third, new HttpRequestException("c"));

        var response = await Invoke(SampleEvents.Read(SampleEvents.Sqs));

        Assert.Equal(
            $"{{\"batchItemFailures\":[{{\"itemIdentifier\":\"{First}\"}},{{\"itemIdentifier\":\"{Second}\"}},{{\"itemIdentifier\":\"{Third}\"}}]}}",
            response);
    }

    [Fact]
    public async Task InvokeAsync_PoisonAndTransientFailures_AreLoggedAsErrorAndWarning()
    {
        _handler.Fail(First, new PoisonMessageException("not a CloudEvent"));
        _handler.Fail(Second, new TimeoutException("SNS timed out"));

        await Invoke(SampleEvents.Read(SampleEvents.Sqs));

        var lines = LogLines();
        var poison = Assert.Single(lines, l => l.GetProperty("messageId").GetString() == First);
        Assert.Equal("Error", poison.GetProperty("level").GetString());
        Assert.Equal("Poison message: reported failed so redrive moves it to the DLQ", poison.GetProperty("message").GetString());
        Assert.Equal(1, poison.GetProperty("receiveCount").GetInt32());
        Assert.Equal(nameof(PoisonMessageException), poison.GetProperty("errorType").GetString());
        Assert.Equal("not a CloudEvent", poison.GetProperty("error").GetString());
        var transient = Assert.Single(lines, l => l.GetProperty("messageId").GetString() == Second);
        Assert.Equal("Warning", transient.GetProperty("level").GetString());
        Assert.Equal("Record failed; it will be retried after a backoff", transient.GetProperty("message").GetString());
        Assert.Equal(3, transient.GetProperty("receiveCount").GetInt32());
        Assert.Equal(nameof(TimeoutException), transient.GetProperty("errorType").GetString());
        Assert.Equal("SNS timed out", transient.GetProperty("error").GetString());
    }

    [Fact]
    public async Task ProcessAsync_RecordWithCorrelationAttribute_RunsInItsCorrelationScope()
    {
        var sqsEvent = new SqsEventBuilder()
            .WithRecord("m-1", "{}", EventTypes.OrderPlaced, correlationId: "corr-1")
            .WithRecord("m-2", "{}", EventTypes.OrderPlaced, correlationId: "corr-2")
            .WithRecord("m-3", "{}")
            .Build();

        await _function.ProcessAsync(sqsEvent, Deadline, Ct);

        Assert.Equal("corr-1", _handler.Correlation["m-1"]);
        Assert.Equal("corr-2", _handler.Correlation["m-2"]);
        Assert.Equal("", _handler.Correlation["m-3"]);
    }

    [Fact]
    public async Task ProcessAsync_InvocationAlreadyCancelled_FailsEveryRecordWithoutHandlingIt()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var sqsEvent = new SqsEventBuilder().WithRecord("m-1", "{}").WithRecord("m-2", "{}").Build();

        var response = await _function.ProcessAsync(sqsEvent, Deadline, cancelled.Token);

        Assert.Equal(["m-1", "m-2"], response.BatchItemFailures.Select(f => f.ItemIdentifier));
        Assert.Empty(_handler.Handled);
        var warning = Assert.Single(LogLines());
        Assert.StartsWith("Too little time left", warning.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, warning.GetProperty("notStarted").GetInt32());
    }

    [Fact]
    public async Task InvokeAsync_PayloadNotAnSqsEvent_FailsTheWholeInvocation()
    {
        await Assert.ThrowsAnyAsync<JsonException>(() => Invoke("[1,2,3]"u8.ToArray()));
        var nothing = await Assert.ThrowsAsync<JsonException>(() => Invoke("null"u8.ToArray()));
        Assert.Equal("The invocation payload is not an SQS event.", nothing.Message);
    }

    [Fact]
    public async Task ProcessAsync_FailedRecords_DelaysTransientOnesByTheirBackoffAndPoisonNotAtAll()
    {
        // Jitter source 0.5: a share of 0.125 of each delay, rounded down.
        var sqsEvent = new SqsEventBuilder()
            .WithRecord("m-1", "{}", receiveCount: 1)
            .WithRecord("m-2", "{}", receiveCount: 3)
            .WithRecord("m-3", "{}", receiveCount: 2)
            .WithRecord("m-4", "{}", receiveCount: 9)
            .WithRecord("m-5", "{}", receiveCount: 1)
            .Build();
        _handler.Fail("m-1", new TimeoutException("SNS timed out"));
        _handler.Fail("m-2", new InvalidOperationException("held elsewhere"));
        _handler.Fail("m-3", new PoisonMessageException("not a CloudEvent"));
        _handler.Fail("m-4", new HttpRequestException("503"));

        var response = await _function.ProcessAsync(sqsEvent, Deadline, Ct);

        Assert.Equal(["m-1", "m-2", "m-3", "m-4"], response.BatchItemFailures.Select(f => f.ItemIdentifier));
        var call = Assert.Single(_visibility.Calls);
        Assert.Equal(
            [
                new VisibilityChange(QueueArn, "m-1", "receipt-m-1", 2),
                new VisibilityChange(QueueArn, "m-2", "receipt-m-2", 9),
                new VisibilityChange(QueueArn, "m-3", "receipt-m-3", 0),
                new VisibilityChange(QueueArn, "m-4", "receipt-m-4", 337),
            ],
            call);
    }

    [Fact]
    public async Task ProcessAsync_EveryRecordSucceeds_ChangesNoVisibility()
    {
        var sqsEvent = new SqsEventBuilder().WithRecord("m-1", "{}").WithRecord("m-2", "{}").Build();

        await _function.ProcessAsync(sqsEvent, Deadline, Ct);

        Assert.Empty(_visibility.Calls);
    }

    [Fact]
    public async Task ProcessAsync_OnlyPoison_MakesItVisibleAtOnce()
    {
        var sqsEvent = new SqsEventBuilder().WithRecord("m-1", "{}", receiveCount: 4).WithRecord("m-2", "{}").Build();
        _handler.Fail("m-1", new PoisonMessageException("bad"));

        await _function.ProcessAsync(sqsEvent, Deadline, Ct);

        Assert.Equal([new VisibilityChange(QueueArn, "m-1", "receipt-m-1", 0)], _visibility.Changes);
    }

    [Fact]
    public async Task ProcessAsync_VisibilityChangeThrows_StillAnswersWithTheFailures()
    {
        _visibility.FailWith = new HttpRequestException("SQS unreachable");
        var sqsEvent = new SqsEventBuilder().WithRecord("m-1", "{}").WithRecord("m-2", "{}").Build();
        _handler.Fail("m-1", new TimeoutException("slow"));

        var response = await _function.ProcessAsync(sqsEvent, Deadline, Ct);

        Assert.Equal(["m-1"], response.BatchItemFailures.Select(f => f.ItemIdentifier));
        var line = Assert.Single(LogLines(), l => l.GetProperty("message").GetString() == "Could not delay the retries of failed records");
        Assert.Equal(1, line.GetProperty("records").GetInt32());
        Assert.Equal(nameof(HttpRequestException), line.GetProperty("errorType").GetString());
        Assert.Equal("SQS unreachable", line.GetProperty("error").GetString());
    }

    [Fact]
    public async Task ProcessAsync_SomeVisibilityEntriesRejected_LogsTheirIds()
    {
        _visibility.RejectIds = ["m-2"];
        var sqsEvent = new SqsEventBuilder().WithRecord("m-1", "{}").WithRecord("m-2", "{}").Build();
        _handler.Fail("m-1", new TimeoutException("slow"));
        _handler.Fail("m-2", new TimeoutException("slow"));

        await _function.ProcessAsync(sqsEvent, Deadline, Ct);

        var line = Assert.Single(LogLines(), l => l.GetProperty("message").GetString()!.StartsWith("Some retry delays", StringComparison.Ordinal));
        Assert.Equal("m-2", line.GetProperty("messageIds").GetString());
    }

    [Fact]
    public async Task ProcessAsync_NoBackoffConfigured_ChangesNoVisibility()
    {
        _function = new SqsBatchFunction(_handler, new FanoutLogger("test", _time, _log), _time, visibility: _visibility);
        _handler.Fail("m-1", new TimeoutException("slow"));

        await _function.ProcessAsync(new SqsEventBuilder().WithRecord("m-1", "{}").Build(), Deadline, Ct);

        Assert.Empty(_visibility.Calls);
    }

    [Fact]
    public async Task ProcessAsync_LessThanTheCutoffLeft_StartsNothingAndReportsEveryRecordFailedWithBackoff()
    {
        var sqsEvent = new SqsEventBuilder().WithRecord("m-1", "{}").WithRecord("m-2", "{}", receiveCount: 2).Build();

        var response = await _function.ProcessAsync(sqsEvent, TestClock.Start.AddSeconds(5), Ct);

        Assert.Equal(["m-1", "m-2"], response.BatchItemFailures.Select(f => f.ItemIdentifier));
        Assert.Empty(_handler.Handled);
        Assert.Equal([2, 4], _visibility.Changes.Select(c => c.VisibilityTimeoutSeconds));
        var warning = Assert.Single(LogLines(), l => l.GetProperty("message").GetString()!.StartsWith("Too little time left", StringComparison.Ordinal));
        Assert.Equal(2, warning.GetProperty("notStarted").GetInt32());
        Assert.Equal(5000, warning.GetProperty("remainingMs").GetInt64());
    }

    [Fact]
    public async Task ProcessAsync_JustMoreThanTheCutoffLeft_StartsTheRecord()
    {
        var response = await _function.ProcessAsync(new SqsEventBuilder().WithRecord("m-1", "{}").Build(), TestClock.Start.AddSeconds(5).AddMilliseconds(1), Ct);

        Assert.Empty(response.BatchItemFailures);
        Assert.Equal(["m-1"], _handler.Handled);
    }

    [Fact]
    public async Task ProcessAsync_TimeRunsOutMidBatch_StopsStartingRecordsAndReportsTheRestFailed()
    {
        // One record at a time, each taking 3 s: at 0 s and 3 s more than 5 s remain, at 6 s only 4 s do.
        _function = Create(new SqsBatchOptions { MaxParallelRecords = 1 });
        _handler.OnHandle = () => _time.Advance(TimeSpan.FromSeconds(3));
        var sqsEvent = new SqsEventBuilder().WithRecord("m-1", "{}").WithRecord("m-2", "{}").WithRecord("m-3", "{}").WithRecord("m-4", "{}").Build();

        var response = await _function.ProcessAsync(sqsEvent, TestClock.Start.AddSeconds(10), Ct);

        Assert.Equal(["m-1", "m-2"], _handler.Handled);
        Assert.Equal(["m-3", "m-4"], response.BatchItemFailures.Select(f => f.ItemIdentifier));
        // Only 4 s are left, so the change gets the 2 s budget and both records their first-receive delay.
        Assert.Equal(["m-3", "m-4"], _visibility.Changes.Select(c => c.MessageId));
    }

    [Fact]
    public async Task ProcessAsync_DeadlineAlmostReached_SkipsTheVisibilityChange()
    {
        _function = Create(new SqsBatchOptions { StartCutoff = TimeSpan.Zero });
        _handler.Fail("m-1", new TimeoutException("slow"));
        _handler.OnHandle = () => _time.Advance(TimeSpan.FromMilliseconds(800));

        var response = await _function.ProcessAsync(new SqsEventBuilder().WithRecord("m-1", "{}").Build(), TestClock.Start.AddSeconds(1), Ct);

        Assert.Equal(["m-1"], response.BatchItemFailures.Select(f => f.ItemIdentifier));
        Assert.Empty(_visibility.Calls);
        var line = Assert.Single(LogLines(), l => l.GetProperty("message").GetString()!.StartsWith("No time left to delay retries", StringComparison.Ordinal));
        Assert.Equal(1, line.GetProperty("records").GetInt32());
    }

    [Fact]
    public async Task ProcessAsync_RecordFailsWithTimeLeft_RecordsItsReason()
    {
        var failures = new RecordingFailures();
        _function = new SqsBatchFunction(_handler, new FanoutLogger("test", _time, _log), _time, failures);
        _handler.Fail("m-1", new PoisonMessageException("bad body"));
        _handler.Fail("m-2", new TimeoutException("slow"));

        await _function.ProcessAsync(new SqsEventBuilder().WithRecord("m-1", "{}", receiveCount: 2).WithRecord("m-2", "{}").Build(), Deadline, Ct);

        Assert.Equal([("m-1", 2, "bad body", true), ("m-2", 1, "slow", false)], failures.Recorded.OrderBy(r => r.MessageId, StringComparer.Ordinal));
    }

    [Fact]
    public async Task ProcessAsync_RecordFailsAtTheDeadline_SkipsRecordingItsReason()
    {
        var failures = new RecordingFailures();
        _function = new SqsBatchFunction(_handler, new FanoutLogger("test", _time, _log), _time, failures, options: new SqsBatchOptions { StartCutoff = TimeSpan.Zero });
        _handler.Fail("m-1", new TimeoutException("slow"));
        _handler.OnHandle = () => _time.Advance(TimeSpan.FromMilliseconds(800));

        var response = await _function.ProcessAsync(new SqsEventBuilder().WithRecord("m-1", "{}").Build(), TestClock.Start.AddSeconds(1), Ct);

        Assert.Equal(["m-1"], response.BatchItemFailures.Select(f => f.ItemIdentifier));
        Assert.Empty(failures.Recorded);
        var line = Assert.Single(LogLines(), l => l.GetProperty("message").GetString() == "No time left to record the failure reason");
        Assert.Equal("m-1", line.GetProperty("messageId").GetString());
    }

    [Fact]
    public async Task ProcessAsync_MaxParallelRecords_NeverRunsMoreAtOnce()
    {
        _function = Create(new SqsBatchOptions { MaxParallelRecords = 2 });
        var sqsEvent = new SqsEventBuilder().WithRecord("m-1", "{}").WithRecord("m-2", "{}").WithRecord("m-3", "{}").WithRecord("m-4", "{}").Build();
        _handler.HoldEach = true;

        var processing = _function.ProcessAsync(sqsEvent, Deadline, Ct);
        await WaitUntil(() => _handler.InFlight == 2);
        _handler.ReleaseAll();
        await processing;

        Assert.Equal(2, _handler.MaxInFlight);
        Assert.Equal(4, _handler.Handled.Count);
    }

    [Fact]
    public void Constructor_NoParallelism_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Create(new SqsBatchOptions { MaxParallelRecords = 0 }));
    }

    [Fact]
    public async Task InvokeAsync_AnyLogLine_CarriesTheRequestIdNextToTheCorrelationId()
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(
            new SqsEventBuilder().WithRecord("m-1", "{}", correlationId: "corr-9").Build(),
            Fanout.AwsShims.Json.AwsShimsJsonContext.Default.SqsEvent);
        _handler.Fail("m-1", new TimeoutException("slow"));

        await Invoke(payload);

        var line = Assert.Single(LogLines(), l => l.TryGetProperty("messageId", out var id) && id.GetString() == "m-1");
        Assert.Equal("request-1", line.GetProperty("requestId").GetString());
        Assert.Equal("corr-9", line.GetProperty("correlationId").GetString());
        Assert.Null(Fanout.Functions.Common.Runtime.InvocationContext.Current);
    }

    [Fact]
    public async Task ProcessAsync_TheMarginOnlyLeftAfterAFailure_SkipsRecordingAndDelaying()
    {
        // A quarter second before the deadline is kept for the response: exactly that much left means no budget.
        var failures = new RecordingFailures();
        _function = new SqsBatchFunction(
            _handler, new FanoutLogger("test", _time, _log), _time, failures, _visibility, new RetryBackoff(2, 300, () => 0.5), new SqsBatchOptions { StartCutoff = TimeSpan.Zero });
        _handler.Fail("m-1", new TimeoutException("slow"));
        _handler.OnHandle = () => _time.Advance(TimeSpan.FromMilliseconds(750));

        var response = await _function.ProcessAsync(new SqsEventBuilder().WithRecord("m-1", "{}").Build(), TestClock.Start.AddSeconds(1), Ct);

        Assert.Equal(["m-1"], response.BatchItemFailures.Select(f => f.ItemIdentifier));
        Assert.Empty(failures.Recorded);
        Assert.Empty(_visibility.Calls);
    }

    [Fact]
    public async Task ProcessAsync_JustMoreThanTheMarginLeft_RecordsAndDelaysWithTheRest()
    {
        var failures = new RecordingFailures();
        var budgets = new List<bool>();
        failures.Answer = ct =>
        {
            budgets.Add(ct.IsCancellationRequested);
            _time.Advance(TimeSpan.FromMilliseconds(1));
            budgets.Add(ct.IsCancellationRequested);
            return Task.CompletedTask;
        };
        _function = new SqsBatchFunction(
            _handler, new FanoutLogger("test", _time, _log), _time, failures, _visibility, new RetryBackoff(2, 300, () => 0.5), new SqsBatchOptions { StartCutoff = TimeSpan.Zero });
        _handler.Fail("m-1", new TimeoutException("slow"));
        _handler.OnHandle = () => _time.Advance(TimeSpan.FromMilliseconds(749));

        await _function.ProcessAsync(new SqsEventBuilder().WithRecord("m-1", "{}").Build(), TestClock.Start.AddSeconds(1), Ct);

        // 251 ms left: a 1 ms budget for the reason, which then uses it up, leaving nothing to delay with.
        Assert.Equal([false, true], budgets);
        Assert.Single(failures.Recorded);
        Assert.Empty(_visibility.Calls);
    }

    [Fact]
    public async Task ProcessAsync_PlentyOfTimeLeft_RecordingAReasonGetsTwoSeconds()
    {
        var failures = new RecordingFailures();
        var cancelled = new List<bool>();
        failures.Answer = ct =>
        {
            _time.Advance(TimeSpan.FromMilliseconds(1999));
            cancelled.Add(ct.IsCancellationRequested);
            _time.Advance(TimeSpan.FromMilliseconds(1));
            cancelled.Add(ct.IsCancellationRequested);
            return Task.CompletedTask;
        };
        _function = new SqsBatchFunction(_handler, new FanoutLogger("test", _time, _log), _time, failures);
        _handler.Fail("m-1", new TimeoutException("slow"));

        await _function.ProcessAsync(new SqsEventBuilder().WithRecord("m-1", "{}").Build(), Deadline, Ct);

        Assert.Equal([false, true], cancelled);
    }

    [Fact]
    public async Task ProcessAsync_PlentyOfTimeLeft_TheVisibilityChangeGetsItsBudget()
    {
        var cancelled = new List<bool>();
        _visibility.OnChange = ct =>
        {
            _time.Advance(TimeSpan.FromMilliseconds(1999));
            cancelled.Add(ct.IsCancellationRequested);
            _time.Advance(TimeSpan.FromMilliseconds(1));
            cancelled.Add(ct.IsCancellationRequested);
        };
        _handler.Fail("m-1", new TimeoutException("slow"));

        await _function.ProcessAsync(new SqsEventBuilder().WithRecord("m-1", "{}").Build(), Deadline, Ct);

        Assert.Equal([false, true], cancelled);
    }

    [Fact]
    public async Task ProcessAsync_LessThanTheBudgetLeft_TheVisibilityChangeEndsAQuarterSecondBeforeTheDeadline()
    {
        var cancelled = new List<bool>();
        _visibility.OnChange = ct =>
        {
            _time.Advance(TimeSpan.FromMilliseconds(749));
            cancelled.Add(ct.IsCancellationRequested);
            _time.Advance(TimeSpan.FromMilliseconds(1));
            cancelled.Add(ct.IsCancellationRequested);
        };
        _function = Create(new SqsBatchOptions { StartCutoff = TimeSpan.Zero });
        _handler.Fail("m-1", new TimeoutException("slow"));

        await _function.ProcessAsync(new SqsEventBuilder().WithRecord("m-1", "{}").Build(), TestClock.Start.AddSeconds(1), Ct);

        Assert.Equal([false, true], cancelled);
    }

    [Fact]
    public async Task ProcessAsync_RecordingTheReasonFails_StillAnswersAndLogsWhichMessage()
    {
        var failures = new RecordingFailures { Answer = _ => Task.FromException(new HttpRequestException("DynamoDB unreachable")) };
        _function = new SqsBatchFunction(_handler, new FanoutLogger("test", _time, _log), _time, failures, _visibility, new RetryBackoff(2, 300, () => 0.5));
        _handler.Fail("m-1", new TimeoutException("slow"));

        var response = await _function.ProcessAsync(new SqsEventBuilder().WithRecord("m-1", "{}").WithRecord("m-2", "{}").Build(), Deadline, Ct);

        Assert.Equal(["m-1"], response.BatchItemFailures.Select(f => f.ItemIdentifier));
        Assert.Equal([new VisibilityChange(QueueArn, "m-1", "receipt-m-1", 2)], _visibility.Changes);
        var line = Assert.Single(LogLines(), l => l.GetProperty("message").GetString() == "Could not record the failure reason");
        Assert.Equal("m-1", line.GetProperty("messageId").GetString());
        Assert.Equal("DynamoDB unreachable", line.GetProperty("error").GetString());
    }

    [Fact]
    public void ProcessAsync_FreeSlots_StartsEveryRecordBeforeAnyRuns()
    {
        // Each record takes 3 s of a 10 s invocation: started one after another, the third would find too little time.
        _handler.OnHandle = () => _time.Advance(TimeSpan.FromSeconds(3));
        var sqsEvent = new SqsEventBuilder().WithRecord("m-1", "{}").WithRecord("m-2", "{}").WithRecord("m-3", "{}").WithRecord("m-4", "{}").Build();

        var response = SingleThreadedContext.Run(() => _function.ProcessAsync(sqsEvent, TestClock.Start.AddSeconds(10), Ct));

        Assert.Empty(response.BatchItemFailures);
        Assert.Equal(["m-1", "m-2", "m-3", "m-4"], _handler.Handled);
    }

    [Fact]
    public void ProcessAsync_CancelledAfterARecordWasGivenASlot_FailsItWithoutHandlingIt()
    {
        using var invocation = new CancellationTokenSource();
        _function = Create(new SqsBatchOptions { MaxParallelRecords = 2 });
        _handler.OnHandle = invocation.Cancel;
        var sqsEvent = new SqsEventBuilder().WithRecord("m-1", "{}").WithRecord("m-2", "{}").Build();

        // Both records hold a slot before either runs; the first one's handler cancels the invocation.
        var response = SingleThreadedContext.Run(() => _function.ProcessAsync(sqsEvent, Deadline, invocation.Token));

        Assert.Equal(["m-1"], _handler.Handled);
        Assert.Equal(["m-2"], response.BatchItemFailures.Select(f => f.ItemIdentifier));
    }

    [Fact]
    public void ProcessAsync_CancelledJustAsASlotFrees_StartsNoMoreRecords()
    {
        using var invocation = new CancellationTokenSource();
        _function = Create(new SqsBatchOptions { MaxParallelRecords = 1 });
        // Queued behind the first record, so it lands after the slot is freed and before the loop takes it.
        _handler.OnHandle = () => SynchronizationContext.Current!.Post(_ => invocation.Cancel(), null);
        var sqsEvent = new SqsEventBuilder().WithRecord("m-1", "{}").WithRecord("m-2", "{}").Build();

        var response = SingleThreadedContext.Run(() => _function.ProcessAsync(sqsEvent, Deadline, invocation.Token));

        Assert.Equal(["m-1"], _handler.Handled);
        Assert.Equal(["m-2"], response.BatchItemFailures.Select(f => f.ItemIdentifier));
        var warning = Assert.Single(LogLines());
        Assert.StartsWith("Too little time left", warning.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, warning.GetProperty("notStarted").GetInt32());
    }

    [Fact]
    public void Constructor_NullArgument_Throws()
    {
        var log = new FanoutLogger("test", _time, _log);
        Assert.Throws<ArgumentNullException>(() => new SqsBatchFunction(null!, log, _time));
        Assert.Throws<ArgumentNullException>(() => new SqsBatchFunction(_handler, null!, _time));
        Assert.Throws<ArgumentNullException>(() => new SqsBatchFunction(_handler, log, null!));
    }

    [Fact]
    public async Task InvokeAsync_NoInvocation_Throws()
    {
        await Assert.ThrowsAsync<ArgumentNullException>(() => _function.InvokeAsync(SampleEvents.Read(SampleEvents.Sqs), null!, Ct));
        await Assert.ThrowsAsync<ArgumentNullException>(() => _function.ProcessAsync(null!, Deadline, Ct));
        Assert.Empty(_handler.Handled);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10), "condition not reached in 10 s");
            await Task.Delay(5, Ct);
        }
    }

    private SqsBatchFunction Create(SqsBatchOptions options) =>
        new(_handler, new FanoutLogger("test", _time, _log), _time, visibility: _visibility, backoff: new RetryBackoff(2, 300, () => 0.5), options: options);

    /// <summary>The log lines, without the EMF lines (<see cref="MetricLines"/>).</summary>
    private List<JsonElement> LogLines() => [.. AllLines().Where(l => !l.TryGetProperty("_aws", out _))];

    /// <summary>The EMF lines (those with the <c>_aws</c> metadata member).</summary>
    private List<JsonElement> MetricLines() => [.. AllLines().Where(l => l.TryGetProperty("_aws", out _))];

    private List<JsonElement> AllLines() =>
        [.. _log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)];

    private async Task<string> Invoke(byte[] payload)
    {
        var bytes = await _function.InvokeAsync(payload, new LambdaInvocation("request-1", Deadline, null, null), Ct);
        return Encoding.UTF8.GetString(bytes);
    }

    private sealed class RecordingFailures : IFailureRecorder
    {
        private readonly ConcurrentQueue<(string MessageId, int ReceiveCount, string Reason, bool Poison)> _recorded = new();

        public IReadOnlyList<(string MessageId, int ReceiveCount, string Reason, bool Poison)> Recorded => [.. _recorded];

        /// <summary>Answers each call after recording it (e.g. fails, or watches the call's token); success when null.</summary>
        public Func<CancellationToken, Task>? Answer { get; set; }

        public Task RecordAsync(string messageId, int receiveCount, Exception exception, bool poison, CancellationToken cancellationToken)
        {
            _recorded.Enqueue((messageId, receiveCount, exception.Message, poison));
            return Answer?.Invoke(cancellationToken) ?? Task.CompletedTask;
        }
    }

    private sealed class ScriptedHandler : ISqsRecordHandler
    {
        private readonly Dictionary<string, Exception> _failures = new(StringComparer.Ordinal);
        private readonly ConcurrentQueue<string> _handled = new();

        public ConcurrentDictionary<string, string> Correlation { get; } = new(StringComparer.Ordinal);

        public IReadOnlyList<string> Handled => [.. _handled];

        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _inFlight;
        private int _maxInFlight;

        public Action? OnHandle { get; set; }

        /// <summary>Each record waits for <see cref="ReleaseAll"/> before finishing.</summary>
        public bool HoldEach { get; set; }

        public int InFlight => Volatile.Read(ref _inFlight);

        public int MaxInFlight => Volatile.Read(ref _maxInFlight);

        public void Fail(string messageId, Exception error) => _failures[messageId] = error;

        public void ReleaseAll() => _release.TrySetResult();

        public async Task HandleAsync(SqsMessage message, CancellationToken cancellationToken)
        {
            var now = Interlocked.Increment(ref _inFlight);
            int seen;
            while ((seen = Volatile.Read(ref _maxInFlight)) < now && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen)
            {
            }

            try
            {
                _handled.Enqueue(message.MessageId);
                Correlation[message.MessageId] = CorrelationContext.Current ?? "";
                OnHandle?.Invoke();
                if (HoldEach)
                {
                    await _release.Task;
                }

                if (_failures.TryGetValue(message.MessageId, out var error))
                {
                    throw error;
                }
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }
}

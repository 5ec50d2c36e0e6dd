using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Fanout.AwsShims.Events;
using Fanout.AwsShims.Runtime;
using Fanout.Contracts.Events;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Sqs;
using Fanout.UnitTests.TestEvents;

namespace Fanout.UnitTests.Functions.Common.Sqs;

[Trait("Category", "Unit")]
public sealed class SqsBatchFunctionTests : IDisposable
{
    // The message ids of the three records in SampleEvents/sqs-event.json.
    private const string First = "059f36b4-87a3-44ab-83d2-661975830a7d";
    private const string Second = "2e1424d4-f796-459a-8184-9c92662be6da";
    private const string Third = "c80e8021-a70a-42c7-a470-796e1186f753";

    private readonly StringWriter _log = new();
    private readonly ScriptedHandler _handler = new();
    private readonly SqsBatchFunction _function;

    public SqsBatchFunctionTests()
    {
        _function = new SqsBatchFunction(_handler, new FanoutLogger("test", TestClock.Create(), _log));
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

        var lines = _log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var poison = Assert.Single(lines, l => l.GetProperty("messageId").GetString() == First);
        Assert.Equal("Error", poison.GetProperty("level").GetString());
        Assert.Equal(nameof(PoisonMessageException), poison.GetProperty("errorType").GetString());
        var transient = Assert.Single(lines, l => l.GetProperty("messageId").GetString() == Second);
        Assert.Equal("Warning", transient.GetProperty("level").GetString());
        Assert.Equal(3, transient.GetProperty("receiveCount").GetInt32());
    }

    [Fact]
    public async Task ProcessAsync_RecordWithCorrelationAttribute_RunsInItsCorrelationScope()
    {
        var sqsEvent = new SqsEventBuilder()
            .WithRecord("m-1", "{}", EventTypes.OrderPlaced, correlationId: "corr-1")
            .WithRecord("m-2", "{}", EventTypes.OrderPlaced, correlationId: "corr-2")
            .WithRecord("m-3", "{}")
            .Build();

        await _function.ProcessAsync(sqsEvent, Ct);

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

        var response = await _function.ProcessAsync(sqsEvent, cancelled.Token);

        Assert.Equal(["m-1", "m-2"], response.BatchItemFailures.Select(f => f.ItemIdentifier));
        Assert.Empty(_handler.Handled);
    }

    [Fact]
    public async Task InvokeAsync_PayloadNotAnSqsEvent_FailsTheWholeInvocation()
    {
        await Assert.ThrowsAnyAsync<JsonException>(() => Invoke("[1,2,3]"u8.ToArray()));
        await Assert.ThrowsAnyAsync<JsonException>(() => Invoke("null"u8.ToArray()));
    }

    private async Task<string> Invoke(byte[] payload)
    {
        var bytes = await _function.InvokeAsync(payload, new LambdaInvocation("request-1", TestClock.Start.AddMinutes(1), null, null), Ct);
        return Encoding.UTF8.GetString(bytes);
    }

    private sealed class ScriptedHandler : ISqsRecordHandler
    {
        private readonly Dictionary<string, Exception> _failures = new(StringComparer.Ordinal);
        private readonly ConcurrentQueue<string> _handled = new();

        public ConcurrentDictionary<string, string> Correlation { get; } = new(StringComparer.Ordinal);

        public IReadOnlyList<string> Handled => [.. _handled];

        public void Fail(string messageId, Exception error) => _failures[messageId] = error;

        public Task HandleAsync(SqsMessage message, CancellationToken cancellationToken)
        {
            _handled.Enqueue(message.MessageId);
            Correlation[message.MessageId] = CorrelationContext.Current ?? "";
            return _failures.TryGetValue(message.MessageId, out var error) ? Task.FromException(error) : Task.CompletedTask;
        }
    }
}

using System.Text.Json;
using Fanout.AwsShims.Events;
using Fanout.AwsShims.Json;
using Fanout.AwsShims.Runtime;
using Fanout.Contracts.Events;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Runtime;

namespace Fanout.Functions.Common.Sqs;

/// <summary>Handles one SQS record. Throwing marks only that record failed; a <see cref="PoisonMessageException"/>
/// marks it poison (reason recorded, visible again at once so redrive parks it quickly), anything else transient
/// (retried after a backoff).</summary>
public interface ISqsRecordHandler
{
    Task HandleAsync(SqsMessage message, CancellationToken cancellationToken);
}

/// <summary>How the batch loop paces itself inside one invocation.</summary>
public sealed record SqsBatchOptions
{
    /// <summary>Records handled at once. Bounded, so the ones still waiting can be left for the next invocation
    /// when time runs short instead of all racing the deadline.</summary>
    public int MaxParallelRecords { get; init; } = 4;

    /// <summary>A record is started only while more than this is left before the invocation deadline: enough to
    /// finish it (one provider call, the idempotency writes, the publish) and answer.</summary>
    public TimeSpan StartCutoff { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest the retry delays may take to apply; always ends before the deadline.</summary>
    public TimeSpan VisibilityBudget { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>The Lambda entry point of every consumer: reads an SQS event, handles its records a few at a time
/// (each in its own correlation scope, the invocation's request id on every log line), stops starting records
/// when too little time is left, delays each transiently failed record's retry by <see cref="RetryBackoff"/> and
/// makes poison visible again at once (<c>ChangeMessageVisibilityBatch</c>), and answers with a partial batch response, so a failing record never
/// fails its batch-mates (see "Reporting batch item failures" in the Lambda developer guide).</summary>
public sealed class SqsBatchFunction : ILambdaHandler
{
    private readonly ISqsRecordHandler _handler;
    private readonly FanoutLogger _log;
    private readonly TimeProvider _time;
    private readonly IFailureRecorder? _failures;
    private readonly IMessageVisibility? _visibility;
    private readonly RetryBackoff? _backoff;
    private readonly SqsBatchOptions _options;

    /// <summary>Kept free before the deadline for serialising and sending the batch response.</summary>
    private static readonly TimeSpan ResponseMargin = TimeSpan.FromMilliseconds(250);

    /// <param name="visibility">With <paramref name="backoff"/>: where transient failures are delayed; without
    /// them failed records come back after the queue's visibility timeout.</param>
    public SqsBatchFunction(
        ISqsRecordHandler handler,
        FanoutLogger log,
        TimeProvider time,
        IFailureRecorder? failures = null,
        IMessageVisibility? visibility = null,
        RetryBackoff? backoff = null,
        SqsBatchOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(time);
        _handler = handler;
        _log = log;
        _time = time;
        _failures = failures;
        _visibility = visibility;
        _backoff = backoff;
        _options = options ?? new SqsBatchOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxParallelRecords, 1);
    }

    private enum Outcome
    {
        Succeeded,
        Transient,
        Poison,
        NotStarted,
    }

    public async Task<byte[]> InvokeAsync(ReadOnlyMemory<byte> payload, LambdaInvocation invocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        using var scope = InvocationContext.Begin(invocation);
        // A payload that is not an SQS event is an infrastructure fault, not a poison record: failing the
        // whole invocation makes Lambda retry the batch and surfaces the error in the function's metrics.
        var sqsEvent = JsonSerializer.Deserialize(payload.Span, AwsShimsJsonContext.Default.SqsEvent)
            ?? throw new JsonException("The invocation payload is not an SQS event.");
        var response = await ProcessAsync(sqsEvent, invocation.Deadline, cancellationToken);
        return JsonSerializer.SerializeToUtf8Bytes(response, AwsShimsJsonContext.Default.SqsBatchResponse);
    }

    /// <param name="deadline">When the invocation ends (<see cref="LambdaInvocation.Deadline"/>).</param>
    public async Task<SqsBatchResponse> ProcessAsync(SqsEvent sqsEvent, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sqsEvent);
        var records = sqsEvent.Records;
        var outcomes = new Outcome[records.Count];
        Array.Fill(outcomes, Outcome.NotStarted);
        var running = new List<Task>(records.Count);
        using var slots = new SemaphoreSlim(_options.MaxParallelRecords);
        for (var i = 0; i < records.Count; i++)
        {
            if (!await TryTakeSlotAsync(slots, deadline, cancellationToken))
            {
                _log.Warn(
                    "Too little time left: records not started are reported failed for a retry",
                    ("notStarted", records.Count - i),
                    ("remainingMs", (long)(deadline - _time.GetUtcNow()).TotalMilliseconds));
                break;
            }

            var index = i;
            running.Add(RunAsync(index));
        }

        await Task.WhenAll(running);

        await DelayRetriesAsync(records, outcomes, deadline);
        var response = new SqsBatchResponse();
        for (var i = 0; i < records.Count; i++)
        {
            if (outcomes[i] != Outcome.Succeeded)
            {
                response.BatchItemFailures.Add(new BatchItemFailure { ItemIdentifier = records[i].MessageId });
            }
        }

        return response;

        async Task RunAsync(int index)
        {
            try
            {
                outcomes[index] = await HandleOneAsync(records[index], deadline, cancellationToken);
            }
            finally
            {
                slots.Release();
            }
        }
    }

    private async Task<bool> TryTakeSlotAsync(SemaphoreSlim slots, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        try
        {
            await slots.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        // Checked after the wait: waiting for a slot uses up time too. A refused slot is not given back: the
        // caller starts nothing more, and the semaphore ends with the batch.
        return !cancellationToken.IsCancellationRequested && deadline - _time.GetUtcNow() > _options.StartCutoff;
    }

    private async Task<Outcome> HandleOneAsync(SqsMessage message, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        // Yield first so records run concurrently, each with its own correlation scope.
        await Task.Yield();
        using var scope = CorrelationContext.Begin(message.GetStringAttribute(EventAttributes.CorrelationId));
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            await _handler.HandleAsync(message, cancellationToken);
            return Outcome.Succeeded;
        }
        catch (PoisonMessageException ex)
        {
            _log.Error(
                "Poison message: reported failed so redrive moves it to the DLQ",
                ex,
                ("messageId", message.MessageId),
                ("receiveCount", message.ApproximateReceiveCount));
            await RecordFailureAsync(message, ex, poison: true, deadline);
            return Outcome.Poison;
        }
#pragma warning disable CA1031 // Whatever a record throws, only that record may fail.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _log.Warn(
                "Record failed; it will be retried after a backoff",
                ("messageId", message.MessageId),
                ("receiveCount", message.ApproximateReceiveCount),
                ("errorType", ex.GetType().Name),
                ("error", ErrorText.Describe(ex)));
            await RecordFailureAsync(message, ex, poison: false, deadline);
            return Outcome.Transient;
        }
    }

    private async Task DelayRetriesAsync(List<SqsMessage> records, Outcome[] outcomes, DateTimeOffset deadline)
    {
        if (_visibility is null || _backoff is null)
        {
            return;
        }

        // Poison is not delayed at all: visible again at once, redrive moves it to the DLQ after maxReceiveCount
        // quick receives instead of maxReceiveCount visibility timeouts.
        var changes = new List<VisibilityChange>();
        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i];
            int? seconds = outcomes[i] switch
            {
                Outcome.Transient or Outcome.NotStarted => _backoff.DelaySeconds(record.ApproximateReceiveCount),
                Outcome.Poison => 0,
                _ => null,
            };
            if (seconds is { } delay)
            {
                changes.Add(new VisibilityChange(record.EventSourceArn, record.MessageId, record.ReceiptHandle, delay));
            }
        }

        if (changes.Count == 0)
        {
            return;
        }

        var budget = BudgetBefore(deadline, _options.VisibilityBudget);
        if (budget <= TimeSpan.Zero)
        {
            _log.Warn("No time left to delay retries; failed records come back after the visibility timeout", ("records", changes.Count));
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(budget, _time);
            var failed = await _visibility.ChangeAsync(changes, timeout.Token);
            if (failed.Count > 0)
            {
                _log.Warn("Some retry delays were not applied; those records come back after the visibility timeout", ("messageIds", string.Join(",", failed)));
            }
        }
#pragma warning disable CA1031 // A delay that did not apply must never cost the batch response.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _log.Warn("Could not delay the retries of failed records", ("records", changes.Count), ("errorType", ex.GetType().Name), ("error", ErrorText.Describe(ex)));
        }
    }

    /// <summary>How long a best-effort step may take: at most <paramref name="cap"/>, and ending early enough before
    /// the deadline to serialise and send the batch response (zero or less: no time for it).</summary>
    private TimeSpan BudgetBefore(DateTimeOffset deadline, TimeSpan cap)
    {
        var left = deadline - _time.GetUtcNow() - ResponseMargin;
        return left < cap ? left : cap;
    }

    private async Task RecordFailureAsync(SqsMessage message, Exception exception, bool poison, DateTimeOffset deadline)
    {
        if (_failures is null)
        {
            return;
        }

        // Own token, not the invocation's (recording the reason must not be skipped because the token fired),
        // but bounded by the deadline so the response still goes out in time.
        var budget = BudgetBefore(deadline, TimeSpan.FromSeconds(2));
        if (budget <= TimeSpan.Zero)
        {
            _log.Warn("No time left to record the failure reason", ("messageId", message.MessageId));
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(budget, _time);
            await _failures.RecordAsync(message.MessageId, message.ApproximateReceiveCount, exception, poison, timeout.Token);
        }
#pragma warning disable CA1031 // Recording a reason is best effort; the record is already reported failed.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _log.Warn("Could not record the failure reason", ("messageId", message.MessageId), ("errorType", ex.GetType().Name), ("error", ErrorText.Describe(ex)));
        }
    }
}

using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Fanout.AwsShims.Events;
using Fanout.AwsShims.Json;
using Fanout.AwsShims.Runtime;
using Fanout.Contracts.Events;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Metrics;
using Fanout.Functions.Common.Runtime;
using Fanout.Functions.Common.Tracing;

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
/// <remarks>Each record runs under a <see cref="RecordContext"/> and a child of the <c>traceparent</c> message attribute
/// (<see cref="TraceScope"/>), and gets one EMF line when it is done (see <c>WriteRecordMetrics</c>); a record not
/// started gets one too, as <c>Failed</c>.</remarks>
public sealed class SqsBatchFunction : ILambdaHandler
{
    private readonly ISqsRecordHandler _handler;
    private readonly FanoutLogger _log;
    private readonly TimeProvider _time;
    private readonly IFailureRecorder? _failures;
    private readonly IMessageVisibility? _visibility;
    private readonly RetryBackoff? _backoff;
    private readonly SqsBatchOptions _options;

    /// <summary>RFC 3339 UTC with milliseconds, the <c>startedAt</c> property of a record's EMF line.</summary>
    private const string StartedAtFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

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

    /// <summary>Room for the metrics of one record's EMF line, on the stack.</summary>
    [InlineArray(8)]
    private struct MetricBuffer
    {
        private MetricDatum _element;
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
        for (var i = running.Count; i < records.Count; i++)
        {
            var record = records[i];
            WriteRecordMetrics(record, null, Outcome.NotStarted, null, null, record.GetStringAttribute(EventAttributes.CorrelationId), record.GetStringAttribute(EventAttributes.TraceParent));
        }

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
        // Yield first so records run concurrently, each with its own correlation scope, trace and record context.
        await Task.Yield();
        var startedAt = _time.GetUtcNow();
        var started = _time.GetTimestamp();
        var record = new RecordContext();
        using var recordScope = RecordContext.Begin(record);
        var correlationId = message.GetStringAttribute(EventAttributes.CorrelationId);
        using var scope = CorrelationContext.Begin(correlationId);
        // The hop runs under a child of the publisher's context, so every hop of an order logs one trace id; a record
        // without a usable traceparent starts a trace of its own.
        var trace = TraceContext.TryParse(message.GetStringAttribute(EventAttributes.TraceParent), out var parent) ? parent.Child() : TraceContext.NewRoot();
        using var traceScope = TraceScope.Begin(trace);
        Outcome outcome;
        var elapsed = TimeSpan.Zero;
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            await _handler.HandleAsync(message, cancellationToken);
            elapsed = _time.GetElapsedTime(started);
            outcome = Outcome.Succeeded;
        }
        catch (PoisonMessageException ex)
        {
            elapsed = _time.GetElapsedTime(started);
            _log.Error(
                "Poison message: reported failed so redrive moves it to the DLQ",
                ex,
                ("messageId", message.MessageId),
                ("receiveCount", message.ApproximateReceiveCount));
            await RecordFailureAsync(message, ex, poison: true, deadline);
            outcome = Outcome.Poison;
        }
#pragma warning disable CA1031 // Whatever a record throws, only that record may fail.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            elapsed = _time.GetElapsedTime(started);
            _log.Warn(
                "Record failed; it will be retried after a backoff",
                ("messageId", message.MessageId),
                ("receiveCount", message.ApproximateReceiveCount),
                ("errorType", ex.GetType().Name),
                ("error", ErrorText.Describe(ex)));
            await RecordFailureAsync(message, ex, poison: false, deadline);
            outcome = Outcome.Transient;
        }

        WriteRecordMetrics(message, record, outcome, startedAt, elapsed, correlationId, trace.Value);
        return outcome;
    }

    /// <summary>Writes the record's EMF line (the log line contract of issue 10): metrics <c>QueueWaitTime</c> (ms from
    /// the SQS <c>SentTimestamp</c> to <paramref name="startedAt"/>, first receives only; left out when the attribute is
    /// absent or not an epoch ms count, and 0 when the clocks disagree the other way), <c>ProcessingTime</c> (ms, left out for a record not
    /// started), <c>Received</c> = 1, exactly one of <c>Handled</c>/<c>Duplicate</c>/<c>Poison</c>/<c>Failed</c> = 1,
    /// <c>Retried</c> (1 when <c>ApproximateReceiveCount</c> &gt; 1 and the record is not poison, else 0), <c>WriteUnits</c>/<c>ReadUnits</c> (DynamoDB
    /// capacity the record's calls consumed); dimension <c>EventType</c> once the event was parsed; properties
    /// <c>messageId</c>, <c>eventId</c>, <c>orderId</c>, <c>correlationId</c>, <c>traceparent</c>, <c>receiveCount</c>,
    /// <c>outcome</c> (handled|duplicate|poison|failed), <c>startedAt</c> (RFC 3339 UTC, ms).</summary>
    private void WriteRecordMetrics(SqsMessage message, RecordContext? record, Outcome outcome, DateTimeOffset? startedAt, TimeSpan? elapsed, string? correlationId, string? traceParent)
    {
        var (outcomeMetric, outcomeName) = outcome switch
        {
            Outcome.Succeeded when record is { IsDuplicate: true } => (FanoutMetrics.Duplicate, "duplicate"),
            Outcome.Succeeded => (FanoutMetrics.Handled, "handled"),
            Outcome.Poison => (FanoutMetrics.Poison, "poison"),
            _ => (FanoutMetrics.Failed, "failed"),
        };
        var receiveCount = message.ApproximateReceiveCount;
        var metrics = new MetricBuffer();
        var count = 0;
        // Queue wait is a first delivery's: a redelivery's SentTimestamp is the original send, so its "wait" would be the
        // retry backoff and the visibility timeout, which the Retried count already shows.
        if (startedAt is { } start && receiveCount <= 1 && QueueWait(message, start) is { } wait)
        {
            metrics[count++] = new MetricDatum(FanoutMetrics.QueueWaitTime, FanoutMetrics.Milliseconds, wait);
        }

        if (elapsed is { } processing)
        {
            metrics[count++] = new MetricDatum(FanoutMetrics.ProcessingTime, FanoutMetrics.Milliseconds, processing.TotalMilliseconds);
        }

        metrics[count++] = new MetricDatum(FanoutMetrics.Received, FanoutMetrics.Count, 1);
        metrics[count++] = new MetricDatum(outcomeMetric, FanoutMetrics.Count, 1);
        // Poison is made visible again at once so redrive parks it after maxReceiveCount quick receives: those receives
        // are the way to the DLQ, not retries, and counting them would make one bad message look like a retry storm.
        metrics[count++] = new MetricDatum(FanoutMetrics.Retried, FanoutMetrics.Count, receiveCount > 1 && outcome != Outcome.Poison ? 1 : 0);
        metrics[count++] = new MetricDatum(FanoutMetrics.WriteUnits, FanoutMetrics.Count, record?.WriteUnits ?? 0);
        metrics[count++] = new MetricDatum(FanoutMetrics.ReadUnits, FanoutMetrics.Count, record?.ReadUnits ?? 0);
        ReadOnlySpan<(string Key, string? Value)> properties =
        [
            ("messageId", message.MessageId),
            ("eventId", record?.EventId),
            ("orderId", record?.OrderId),
            ("correlationId", correlationId),
            (EventAttributes.TraceParent, traceParent),
            ("receiveCount", receiveCount.ToString(CultureInfo.InvariantCulture)),
            ("outcome", outcomeName),
            ("startedAt", startedAt?.UtcDateTime.ToString(StartedAtFormat, CultureInfo.InvariantCulture)),
        ];
        try
        {
            _log.Metrics(record?.EventType, ((ReadOnlySpan<MetricDatum>)metrics)[..count], properties);
        }
#pragma warning disable CA1031 // A metrics line that cannot be written must never cost the record its outcome.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _log.Warn("Could not write the record's metrics", ("messageId", message.MessageId), ("errorType", ex.GetType().Name));
        }
    }

    /// <summary>Milliseconds from the SQS <c>SentTimestamp</c> (epoch ms, a string in <c>attributes</c>) to
    /// <paramref name="startedAt"/>; null when the attribute is absent or not a plain epoch ms count.</summary>
    internal static double? QueueWait(SqsMessage message, DateTimeOffset startedAt)
    {
        if (!message.Attributes.TryGetValue("SentTimestamp", out var raw)
            || !long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var sentMs)
            || sentMs > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            return null;
        }

        var wait = (startedAt - DateTimeOffset.FromUnixTimeMilliseconds(sentMs)).TotalMilliseconds;
        return wait < 0 ? 0 : wait;
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

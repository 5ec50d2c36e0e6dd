using System.Globalization;
using System.Text.Json;
using Amazon.SQS;
using Amazon.SQS.Model;
using Fanout.AwsShims.Events;
using Fanout.AwsShims.Json;
using Fanout.AwsShims.Runtime;
using Fanout.Harness.Provisioning;

namespace Fanout.Harness.EventSources;

/// <summary>Counters an event source mapping keeps, for tests and <c>fanout watch</c>.</summary>
public sealed class MappingStats
{
    private long _invocations;
    private long _deleted;
    private long _failedRecords;
    private long _failedInvocations;

    public long Invocations => Interlocked.Read(ref _invocations);

    public long Deleted => Interlocked.Read(ref _deleted);

    public long FailedRecords => Interlocked.Read(ref _failedRecords);

    public long FailedInvocations => Interlocked.Read(ref _failedInvocations);

    internal void Invoked() => Interlocked.Increment(ref _invocations);

    internal void AddDeleted(long count) => Interlocked.Add(ref _deleted, count);

    internal void AddFailedRecords(long count) => Interlocked.Add(ref _failedRecords, count);

    internal void InvocationFailed() => Interlocked.Increment(ref _failedInvocations);
}

/// <summary>An in-process stand-in for Lambda's SQS event source mapping: pollers long-poll batches of up
/// to ten, invoke the real handler with the JSON Lambda would send, delete the records that succeeded and
/// leave the failed ones to the visibility timeout, so the queue's redrive policy moves repeated failures
/// to the DLQ exactly as in AWS. A handler error or an unreadable response fails the whole batch, as in
/// Lambda.</summary>
public sealed class SqsEventSourceMapping : IAsyncDisposable
{
    private readonly IAmazonSQS _sqs;
    private readonly QueueSet _queue;
    private readonly ILambdaHandler _handler;
    private readonly TimeSpan _functionTimeout;
    private readonly string _region;
    private readonly TimeProvider _time;
    private readonly Action<string> _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pollers = [];

    public SqsEventSourceMapping(IAmazonSQS sqs, QueueSet queue, ILambdaHandler handler, TimeSpan functionTimeout, string region, TimeProvider time, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(sqs);
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(log);
        _sqs = sqs;
        _queue = queue;
        _handler = handler;
        _functionTimeout = functionTimeout;
        _region = region;
        _time = time;
        _log = log;
    }

    public MappingStats Stats { get; } = new();

    public QueueSet Queue => _queue;

    /// <summary>Starts one poller per unit of the consumer's maximum concurrency.</summary>
    public void Start()
    {
        for (var i = 0; i < _queue.Consumer.MaxConcurrency; i++)
        {
            _pollers.Add(Task.Run(() => PollAsync(_stop.Token)));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_pollers);
        _stop.Dispose();
    }

    private async Task PollAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await PollOnceAsync(stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A poller survives emulator hiccups, like Lambda's pollers do.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _log($"[{_queue.Consumer.Service}] poll error: {ex.GetType().Name}: {ex.Message}");
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(500), _time, stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task PollOnceAsync(CancellationToken stop)
    {
        var received = await _sqs.ReceiveMessageAsync(
            new ReceiveMessageRequest
            {
                QueueUrl = _queue.QueueUrl,
                MaxNumberOfMessages = _queue.Consumer.BatchSize,
                WaitTimeSeconds = 5,
                MessageSystemAttributeNames = ["All"],
                MessageAttributeNames = ["All"],
            },
            stop);
        if (received.Messages is not { Count: > 0 } messages)
        {
            return;
        }

        var payload = JsonSerializer.SerializeToUtf8Bytes(ToLambdaEvent(messages), AwsShimsJsonContext.Default.SqsEvent);
        // A real deadline, as Lambda-Runtime-Deadline-Ms gives one: the handler bounds its leases and stops
        // starting records by it, and a response later than it counts as a timed-out invocation.
        var deadline = _time.GetUtcNow() + _functionTimeout;
        var invocation = new LambdaInvocation(Guid.NewGuid().ToString(), deadline, null, $"arn:aws:lambda:{_region}:000000000000:function:{_queue.Consumer.Function.Name}");
        Stats.Invoked();

        HashSet<string> failed;
        using (var timeout = new CancellationTokenSource(_functionTimeout - TimeSpan.FromMilliseconds(200), _time))
        {
            try
            {
                // Deliberately not linked to `stop`: a batch in flight finishes (or times out) on shutdown.
                var response = await _handler.InvokeAsync(payload, invocation, timeout.Token).WaitAsync(_functionTimeout, _time, CancellationToken.None);
                failed = ReadFailures(response, messages);
            }
#pragma warning disable CA1031 // Lambda treats any function error as "whole batch failed".
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Stats.InvocationFailed();
                Stats.AddFailedRecords(messages.Count);
                _log($"[{_queue.Consumer.Service}] invocation failed, batch of {messages.Count} left for retry: {ex.GetType().Name}: {ex.Message}");
                return;
            }
        }

        Stats.AddFailedRecords(failed.Count);
        var succeeded = messages.Where(m => !failed.Contains(m.MessageId)).ToList();
        if (succeeded.Count == 0)
        {
            return;
        }

        var deleted = await _sqs.DeleteMessageBatchAsync(
            new DeleteMessageBatchRequest
            {
                QueueUrl = _queue.QueueUrl,
                Entries = succeeded.Select((m, i) => new DeleteMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), m.ReceiptHandle)).ToList(),
            },
            CancellationToken.None);
        Stats.AddDeleted(deleted.Successful?.Count ?? 0);
        if (deleted.Failed is { Count: > 0 } notDeleted)
        {
            _log($"[{_queue.Consumer.Service}] {notDeleted.Count} deletes failed; those messages will be redelivered: {notDeleted[0].Message}");
        }
    }

    /// <summary>Reads a partial batch response the way Lambda does: an unreadable response, or one naming
    /// an id that was not in the batch, fails every record.</summary>
    internal static HashSet<string> ReadFailures(byte[] response, IReadOnlyList<Message> batch)
    {
        var all = batch.Select(m => m.MessageId).ToHashSet(StringComparer.Ordinal);
        SqsBatchResponse? parsed;
        try
        {
            parsed = response.Length == 0 ? new SqsBatchResponse() : JsonSerializer.Deserialize(response, AwsShimsJsonContext.Default.SqsBatchResponse);
        }
        catch (JsonException)
        {
            return all;
        }

        if (parsed is null)
        {
            return [];
        }

        var failed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var failure in parsed.BatchItemFailures)
        {
            if (string.IsNullOrEmpty(failure.ItemIdentifier) || !all.Contains(failure.ItemIdentifier))
            {
                return all;
            }

            failed.Add(failure.ItemIdentifier);
        }

        return failed;
    }

    private SqsEvent ToLambdaEvent(List<Message> messages)
    {
        var sqsEvent = new SqsEvent();
        foreach (var message in messages)
        {
            var record = new SqsMessage
            {
                MessageId = message.MessageId,
                ReceiptHandle = message.ReceiptHandle,
                Body = message.Body,
                Md5OfBody = message.MD5OfBody,
                Md5OfMessageAttributes = message.MD5OfMessageAttributes,
                EventSourceArn = _queue.QueueArn,
                AwsRegion = _region,
                Attributes = message.Attributes is { } attributes ? new Dictionary<string, string>(attributes) : [],
            };
            if (message.MessageAttributes is { } messageAttributes)
            {
                foreach (var (name, value) in messageAttributes)
                {
                    record.MessageAttributes[name] = new SqsMessageAttributeValue
                    {
                        DataType = value.DataType,
                        StringValue = value.StringValue,
                        BinaryValue = value.BinaryValue is { } binary ? Convert.ToBase64String(binary.ToArray()) : null,
                    };
                }
            }

            sqsEvent.Records.Add(record);
        }

        return sqsEvent;
    }
}

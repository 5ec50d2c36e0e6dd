using System.Text.Json;
using Fanout.AwsShims.Events;
using Fanout.AwsShims.Json;
using Fanout.AwsShims.Runtime;
using Fanout.Contracts.Events;
using Fanout.Functions.Common.Logging;

namespace Fanout.Functions.Common.Sqs;

/// <summary>Handles one SQS record. Throwing marks only that record failed.</summary>
public interface ISqsRecordHandler
{
    Task HandleAsync(SqsMessage message, CancellationToken cancellationToken);
}

/// <summary>The Lambda entry point of every consumer: reads an SQS event, handles its records concurrently
/// and answers with a partial batch response, so a failing record never fails its batch-mates.</summary>
public sealed class SqsBatchFunction : ILambdaHandler
{
    private readonly ISqsRecordHandler _handler;
    private readonly FanoutLogger _log;
    private readonly IFailureRecorder? _failures;

    public SqsBatchFunction(ISqsRecordHandler handler, FanoutLogger log, IFailureRecorder? failures = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(log);
        _handler = handler;
        _log = log;
        _failures = failures;
    }

    public async Task<byte[]> InvokeAsync(ReadOnlyMemory<byte> payload, LambdaInvocation invocation, CancellationToken cancellationToken)
    {
        // A payload that is not an SQS event is an infrastructure fault, not a poison record: failing the
        // whole invocation makes Lambda retry the batch and surfaces the error in the function's metrics.
        var sqsEvent = JsonSerializer.Deserialize(payload.Span, AwsShimsJsonContext.Default.SqsEvent)
            ?? throw new JsonException("The invocation payload is not an SQS event.");
        var response = await ProcessAsync(sqsEvent, cancellationToken);
        return JsonSerializer.SerializeToUtf8Bytes(response, AwsShimsJsonContext.Default.SqsBatchResponse);
    }

    public async Task<SqsBatchResponse> ProcessAsync(SqsEvent sqsEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sqsEvent);
        var records = sqsEvent.Records;
        var tasks = new Task<bool>[records.Count];
        for (var i = 0; i < records.Count; i++)
        {
            tasks[i] = HandleOneAsync(records[i], cancellationToken);
        }

        var outcomes = await Task.WhenAll(tasks);
        var response = new SqsBatchResponse();
        for (var i = 0; i < records.Count; i++)
        {
            if (!outcomes[i])
            {
                response.BatchItemFailures.Add(new BatchItemFailure { ItemIdentifier = records[i].MessageId });
            }
        }

        return response;
    }

    private async Task<bool> HandleOneAsync(SqsMessage message, CancellationToken cancellationToken)
    {
        // Yield first so records of one batch run concurrently, each with its own correlation scope.
        await Task.Yield();
        using var scope = CorrelationContext.Begin(message.GetStringAttribute(EventAttributes.CorrelationId));
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            await _handler.HandleAsync(message, cancellationToken);
            return true;
        }
        catch (PoisonMessageException ex)
        {
            _log.Error(
                "Poison message: reported failed so redrive moves it to the DLQ",
                ex,
                ("messageId", message.MessageId),
                ("receiveCount", message.ApproximateReceiveCount));
            await RecordFailureAsync(message, ex, poison: true);
            return false;
        }
#pragma warning disable CA1031 // Whatever a record throws, only that record may fail.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _log.Warn(
                "Record failed; it will be retried after the visibility timeout",
                ("messageId", message.MessageId),
                ("receiveCount", message.ApproximateReceiveCount),
                ("errorType", ex.GetType().Name),
                ("error", ex.Message));
            await RecordFailureAsync(message, ex, poison: false);
            return false;
        }
    }

    private async Task RecordFailureAsync(SqsMessage message, Exception exception, bool poison)
    {
        if (_failures is null)
        {
            return;
        }

        try
        {
            // Own token: recording the reason must not be skipped because the invocation ran out of time.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _failures.RecordAsync(message.MessageId, message.ApproximateReceiveCount, exception, poison, timeout.Token);
        }
#pragma warning disable CA1031 // Recording a reason is best effort; the record is already reported failed.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _log.Warn("Could not record the failure reason", ("messageId", message.MessageId), ("error", ex.Message));
        }
    }
}

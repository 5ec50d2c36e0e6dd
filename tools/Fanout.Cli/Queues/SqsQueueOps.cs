using System.Globalization;
using System.Net;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace Fanout.Cli.Queues;

/// <summary><see cref="IQueueOps"/> on the AWS SDK (AWS, LocalStack or fauxqs alike).</summary>
internal sealed class SqsQueueOps : IQueueOps
{
    /// <summary>Error codes meaning "this endpoint has no such API" rather than "this call was wrong": fauxqs
    /// answers InvalidAction for actions it does not implement; other emulators say UnknownOperation or
    /// UnsupportedOperation.</summary>
    private static readonly HashSet<string> _unsupportedCodes = new(StringComparer.OrdinalIgnoreCase)
    {
        "InvalidAction", "UnknownOperation", "UnknownOperationException", "UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", "NotImplemented",
    };

    private readonly IAmazonSQS _sqs;

    public SqsQueueOps(IAmazonSQS sqs)
    {
        ArgumentNullException.ThrowIfNull(sqs);
        _sqs = sqs;
    }

    public async Task<IReadOnlyList<QueueMessage>> ReceiveAsync(string queueUrl, int maxMessages, TimeSpan visibilityTimeout, TimeSpan wait, CancellationToken cancellationToken)
    {
        var response = await _sqs.ReceiveMessageAsync(
            new ReceiveMessageRequest
            {
                QueueUrl = queueUrl,
                MaxNumberOfMessages = Math.Clamp(maxMessages, 1, 10),
                VisibilityTimeout = (int)visibilityTimeout.TotalSeconds,
                WaitTimeSeconds = (int)wait.TotalSeconds,
                MessageSystemAttributeNames = ["All"],
                MessageAttributeNames = ["All"],
            },
            cancellationToken);
        return [.. (response.Messages ?? []).Select(m => new QueueMessage
        {
            MessageId = m.MessageId,
            ReceiptHandle = m.ReceiptHandle,
            Body = m.Body ?? "",
            SystemAttributes = m.Attributes ?? [],
            MessageAttributes = m.MessageAttributes ?? [],
        })];
    }

    public async Task<SentMessage> SendAsync(string queueUrl, string body, IReadOnlyDictionary<string, MessageAttributeValue> messageAttributes, CancellationToken cancellationToken)
    {
        var response = await _sqs.SendMessageAsync(
            new SendMessageRequest
            {
                QueueUrl = queueUrl,
                MessageBody = body,
                MessageAttributes = messageAttributes.Count == 0 ? null : messageAttributes.ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal),
            },
            cancellationToken);
        return new SentMessage(response.MessageId, response.MD5OfMessageBody);
    }

    public Task DeleteAsync(string queueUrl, string receiptHandle, CancellationToken cancellationToken) =>
        _sqs.DeleteMessageAsync(new DeleteMessageRequest { QueueUrl = queueUrl, ReceiptHandle = receiptHandle }, cancellationToken);

    public async Task<int> ChangeVisibilityAsync(string queueUrl, IReadOnlyList<string> receiptHandles, TimeSpan visibilityTimeout, CancellationToken cancellationToken)
    {
        var failed = 0;
        foreach (var chunk in receiptHandles.Chunk(10))
        {
            var response = await _sqs.ChangeMessageVisibilityBatchAsync(
                new ChangeMessageVisibilityBatchRequest
                {
                    QueueUrl = queueUrl,
                    Entries = [.. chunk.Select((handle, i) => new ChangeMessageVisibilityBatchRequestEntry
                    {
                        Id = i.ToString(CultureInfo.InvariantCulture),
                        ReceiptHandle = handle,
                        VisibilityTimeout = (int)visibilityTimeout.TotalSeconds,
                    })],
                },
                cancellationToken);
            failed += response.Failed?.Count ?? 0;
        }

        return failed;
    }

    public async Task<QueueCounts> GetCountsAsync(string queueUrl, CancellationToken cancellationToken)
    {
        var response = await _sqs.GetQueueAttributesAsync(
            new GetQueueAttributesRequest
            {
                QueueUrl = queueUrl,
                AttributeNames = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"],
            },
            cancellationToken);
        var attributes = response.Attributes ?? [];
        return new QueueCounts(
            Count(attributes, "ApproximateNumberOfMessages"),
            Count(attributes, "ApproximateNumberOfMessagesNotVisible"),
            Count(attributes, "ApproximateNumberOfMessagesDelayed"));
    }

    public async Task<string> GetArnAsync(string queueUrl, CancellationToken cancellationToken)
    {
        var response = await _sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = queueUrl, AttributeNames = ["QueueArn"] }, cancellationToken);
        return response.Attributes is { } attributes && attributes.TryGetValue("QueueArn", out var arn) && !string.IsNullOrEmpty(arn)
            ? arn
            : throw new InvalidOperationException($"SQS returned no QueueArn for {queueUrl}.");
    }

    public async Task<MoveTaskStart> StartMoveTaskAsync(string sourceArn, string destinationArn, int maxPerSecond, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _sqs.StartMessageMoveTaskAsync(
                new StartMessageMoveTaskRequest { SourceArn = sourceArn, DestinationArn = destinationArn, MaxNumberOfMessagesPerSecond = maxPerSecond },
                cancellationToken);
            return new MoveTaskStart(response.TaskHandle, null);
        }
        catch (AmazonSQSException ex) when (IsUnsupported(ex))
        {
            return new MoveTaskStart(null, $"{ex.ErrorCode}: {ex.Message}");
        }
    }

    public async Task<MoveTaskStatus?> GetMoveTaskAsync(string sourceArn, string taskHandle, CancellationToken cancellationToken)
    {
        var response = await _sqs.ListMessageMoveTasksAsync(new ListMessageMoveTasksRequest { SourceArn = sourceArn, MaxResults = 10 }, cancellationToken);
        var task = (response.Results ?? []).FirstOrDefault(r => r.TaskHandle == taskHandle)
            // Only the running task carries its handle; finished ones are listed newest first without it.
            ?? (response.Results ?? []).FirstOrDefault();
        return task is null
            ? null
            : new MoveTaskStatus(task.Status ?? "", task.ApproximateNumberOfMessagesMoved ?? 0, task.ApproximateNumberOfMessagesToMove, task.FailureReason);
    }

    public Task CancelMoveTaskAsync(string taskHandle, CancellationToken cancellationToken) =>
        _sqs.CancelMessageMoveTaskAsync(new CancelMessageMoveTaskRequest { TaskHandle = taskHandle }, cancellationToken);

    internal static bool IsUnsupported(AmazonSQSException ex) =>
        _unsupportedCodes.Contains(ex.ErrorCode ?? "") || ex.StatusCode is HttpStatusCode.NotImplemented or HttpStatusCode.NotFound;

    private static long Count(Dictionary<string, string> attributes, string name) =>
        attributes.TryGetValue(name, out var value) && long.TryParse(value, CultureInfo.InvariantCulture, out var count) ? count : 0;
}

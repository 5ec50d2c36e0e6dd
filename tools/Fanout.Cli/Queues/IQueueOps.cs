using Amazon.SQS.Model;

namespace Fanout.Cli.Queues;

/// <summary>A received message: what an operator sees and what a redrive must carry over unchanged.</summary>
internal sealed record QueueMessage
{
    public required string MessageId { get; init; }

    public required string ReceiptHandle { get; init; }

    public required string Body { get; init; }

    /// <summary>SQS system attributes (SentTimestamp, ApproximateReceiveCount, ...).</summary>
    public IReadOnlyDictionary<string, string> SystemAttributes { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, MessageAttributeValue> MessageAttributes { get; init; } = new Dictionary<string, MessageAttributeValue>();

    public int? ReceiveCount =>
        SystemAttributes.TryGetValue("ApproximateReceiveCount", out var value) && int.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var count) ? count : null;

    public DateTimeOffset? SentAt =>
        SystemAttributes.TryGetValue("SentTimestamp", out var value) && long.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
}

/// <summary>The answer to a send: the new message's id and the service's MD5 of the body it stored.</summary>
internal sealed record SentMessage(string MessageId, string? Md5OfBody);

/// <summary>ApproximateNumberOfMessages / NotVisible / Delayed.</summary>
internal sealed record QueueCounts(long Visible, long InFlight, long Delayed);

/// <summary>A StartMessageMoveTask attempt: a task handle, or why the endpoint cannot run one.</summary>
internal sealed record MoveTaskStart(string? TaskHandle, string? UnsupportedReason);

/// <summary>A message move task as ListMessageMoveTasks reports it (RUNNING, COMPLETED, CANCELLING, CANCELLED, FAILED).</summary>
internal sealed record MoveTaskStatus(string Status, long Moved, long? ToMove, string? FailureReason)
{
    public bool IsFinished => Status is "COMPLETED" or "CANCELLED" or "FAILED";
}

/// <summary>The SQS operations the operator commands use, small enough to fake in tests of the redrive order.</summary>
internal interface IQueueOps
{
    /// <summary>Receives up to <paramref name="maxMessages"/> (1-10) with every system and message attribute.</summary>
    Task<IReadOnlyList<QueueMessage>> ReceiveAsync(string queueUrl, int maxMessages, TimeSpan visibilityTimeout, TimeSpan wait, CancellationToken cancellationToken);

    Task<SentMessage> SendAsync(string queueUrl, string body, IReadOnlyDictionary<string, MessageAttributeValue> messageAttributes, CancellationToken cancellationToken);

    Task DeleteAsync(string queueUrl, string receiptHandle, CancellationToken cancellationToken);

    /// <summary>Sets the visibility of received messages (0 = visible again now); returns how many failed.</summary>
    Task<int> ChangeVisibilityAsync(string queueUrl, IReadOnlyList<string> receiptHandles, TimeSpan visibilityTimeout, CancellationToken cancellationToken);

    Task<QueueCounts> GetCountsAsync(string queueUrl, CancellationToken cancellationToken);

    Task<string> GetArnAsync(string queueUrl, CancellationToken cancellationToken);

    Task<MoveTaskStart> StartMoveTaskAsync(string sourceArn, string destinationArn, int maxPerSecond, CancellationToken cancellationToken);

    /// <summary>The task's current state, or null when the endpoint no longer lists it.</summary>
    Task<MoveTaskStatus?> GetMoveTaskAsync(string sourceArn, string taskHandle, CancellationToken cancellationToken);

    Task CancelMoveTaskAsync(string taskHandle, CancellationToken cancellationToken);
}

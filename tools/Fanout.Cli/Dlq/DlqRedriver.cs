using System.Security.Cryptography;
using System.Text;
using Fanout.Cli.Load;
using Fanout.Cli.Queues;

namespace Fanout.Cli.Dlq;

internal enum RedriveStrategy
{
    /// <summary>StartMessageMoveTask where the endpoint has it and every message is to move; else receive/send/delete.</summary>
    Auto,

    MoveTask,

    /// <summary>Receive, send to the source queue, delete from the DLQ once the copy is confirmed.</summary>
    Manual,
}

internal sealed record RedriveOptions
{
    /// <summary>Messages to move at most; null moves all (the only amount a move task can do).</summary>
    public int? MaxMessages { get; init; }

    /// <summary>Messages per second (a move task accepts 1 to 500).</summary>
    public int RatePerSecond { get; init; } = 10;

    public RedriveStrategy Strategy { get; init; } = RedriveStrategy.Auto;

    /// <summary>How long a received message stays hidden while being moved; a crashed run's messages reappear after it.</summary>
    public TimeSpan VisibilityTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan ReceiveWait { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MoveTaskPollInterval { get; init; } = TimeSpan.FromSeconds(2);
}

internal enum RedriveMethod
{
    MoveTask,
    ReceiveSendDelete,
}

internal sealed record RedriveFailure(string MessageId, string Reason);

internal sealed record RedriveResult(RedriveMethod Method, long Moved, long Failed, IReadOnlyList<RedriveFailure> Failures, string? Note, bool Cancelled);

/// <summary>Progress: moved and failed so far, and the total when known.</summary>
internal sealed record RedriveProgress(long Moved, long Failed, long? Total);

/// <summary>Moves DLQ messages back to their source queue without ever losing one. With a move task SQS does the
/// work. Otherwise each message is sent to the source queue first and deleted from the DLQ only after SQS confirmed
/// the copy (and its MD5 matches the body); any failure leaves the original in the DLQ, visible again at the end.
/// The worst case is a duplicate (sent, then the delete failed), which the consumers' idempotency absorbs.</summary>
internal sealed class DlqRedriver
{
    public const int MaxMoveTaskRate = 500;
    private const int MaxStaleRounds = 3;

    private readonly IQueueOps _queues;
    private readonly TimeProvider _time;

    public DlqRedriver(IQueueOps queues, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(queues);
        ArgumentNullException.ThrowIfNull(time);
        _queues = queues;
        _time = time;
    }

    public async Task<RedriveResult> RedriveAsync(string dlqUrl, string sourceUrl, RedriveOptions options, IProgress<RedriveProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dlqUrl);
        ArgumentException.ThrowIfNullOrWhiteSpace(sourceUrl);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.RatePerSecond);
        if (options.MaxMessages is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxMessages, "MaxMessages must be positive.");
        }

        string? note = null;
        if (options.Strategy != RedriveStrategy.Manual)
        {
            if (options.MaxMessages is not null)
            {
                if (options.Strategy == RedriveStrategy.MoveTask)
                {
                    throw new ArgumentException("A move task moves every message; it cannot stop at a maximum. Drop --max or use the manual strategy.", nameof(options));
                }

                note = "--max given: moved with receive/send/delete, since a move task always moves every message.";
            }
            else
            {
                var sourceArn = await _queues.GetArnAsync(dlqUrl, cancellationToken);
                var destinationArn = await _queues.GetArnAsync(sourceUrl, cancellationToken);
                var start = await _queues.StartMoveTaskAsync(sourceArn, destinationArn, Math.Min(options.RatePerSecond, MaxMoveTaskRate), cancellationToken);
                if (start.TaskHandle is { } handle)
                {
                    return await FollowMoveTaskAsync(sourceArn, handle, options, progress, cancellationToken);
                }

                if (options.Strategy == RedriveStrategy.MoveTask)
                {
                    throw new NotSupportedException($"The endpoint does not support StartMessageMoveTask ({start.UnsupportedReason}).");
                }

                note = $"StartMessageMoveTask is not supported by this endpoint ({start.UnsupportedReason}); moved with receive/send/delete.";
            }
        }

        var result = await MoveOneByOneAsync(dlqUrl, sourceUrl, options, progress, cancellationToken);
        return result with { Note = note };
    }

    private async Task<RedriveResult> FollowMoveTaskAsync(string sourceArn, string handle, RedriveOptions options, IProgress<RedriveProgress>? progress, CancellationToken cancellationToken)
    {
        MoveTaskStatus? status = null;
        try
        {
            while (true)
            {
                status = await _queues.GetMoveTaskAsync(sourceArn, handle, cancellationToken) ?? status;
                if (status is not null)
                {
                    progress?.Report(new RedriveProgress(status.Moved, 0, status.ToMove));
                    if (status.IsFinished)
                    {
                        break;
                    }
                }

                await Task.Delay(options.MoveTaskPollInterval, _time, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The task runs inside SQS and would go on without us: stop it, as the operator asked. Moved messages
            // stay moved, the rest stay in the DLQ.
            await _queues.CancelMoveTaskAsync(handle, CancellationToken.None);
            status = await _queues.GetMoveTaskAsync(sourceArn, handle, CancellationToken.None) ?? status;
            return new RedriveResult(RedriveMethod.MoveTask, status?.Moved ?? 0, 0, [], "Cancelled: the move task was stopped; unmoved messages remain in the DLQ.", Cancelled: true);
        }

        var failed = status!.Status == "COMPLETED" ? 0 : Math.Max(0, (status.ToMove ?? status.Moved) - status.Moved);
        var failures = status.FailureReason is { Length: > 0 } reason ? new[] { new RedriveFailure("(move task)", reason) } : [];
        var note = status.Status == "COMPLETED" ? null : $"The move task ended {status.Status}; unmoved messages remain in the DLQ.";
        return new RedriveResult(RedriveMethod.MoveTask, status.Moved, failed, failures, note, Cancelled: false);
    }

    private async Task<RedriveResult> MoveOneByOneAsync(string dlqUrl, string sourceUrl, RedriveOptions options, IProgress<RedriveProgress>? progress, CancellationToken cancellationToken)
    {
        var limiter = new RateLimiter(options.RatePerSecond, burst: 1, _time);
        var limit = options.MaxMessages ?? int.MaxValue;
        long moved = 0;
        var failures = new List<RedriveFailure>();

        // Messages still in the DLQ that this run holds hidden: failed ones (kept hidden so the loop does not pick them
        // up again) and, on Ctrl-C, received but unprocessed ones. All are made visible again at the end.
        var toRelease = new Dictionary<string, string>(StringComparer.Ordinal);
        var failedIds = new HashSet<string>(StringComparer.Ordinal);
        var cancelled = false;
        var staleRounds = 0;
        try
        {
            while (moved + failures.Count < limit)
            {
                var want = (int)Math.Min(10, limit - moved - failures.Count);
                var batch = await _queues.ReceiveAsync(dlqUrl, want, options.VisibilityTimeout, options.ReceiveWait, cancellationToken);
                var fresh = new List<QueueMessage>();
                foreach (var message in batch)
                {
                    if (failedIds.Contains(message.MessageId))
                    {
                        // A failed message whose visibility ran out: hold it again under the newer receipt, don't retry it.
                        toRelease[message.MessageId] = message.ReceiptHandle;
                    }
                    else
                    {
                        fresh.Add(message);
                        toRelease[message.MessageId] = message.ReceiptHandle;
                    }
                }

                if (fresh.Count == 0)
                {
                    // Only messages that already failed this run came back: others may still be behind them (SQS
                    // samples), so look a few more times before calling the DLQ drained.
                    if (batch.Count > 0 && ++staleRounds <= MaxStaleRounds)
                    {
                        continue;
                    }

                    break;
                }

                staleRounds = 0;

                foreach (var message in fresh)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    await limiter.WaitAsync(cancellationToken);
                    var failure = await MoveAsync(dlqUrl, sourceUrl, message, cancellationToken);
                    if (failure is null)
                    {
                        moved++;
                        toRelease.Remove(message.MessageId);
                    }
                    else
                    {
                        failures.Add(failure);
                        failedIds.Add(message.MessageId);
                    }

                    progress?.Report(new RedriveProgress(moved, failures.Count, null));
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            cancelled = true;
        }
        finally
        {
            if (toRelease.Count > 0)
            {
                // Best effort: if this fails the messages reappear when their visibility timeout ends.
                await _queues.ChangeVisibilityAsync(dlqUrl, [.. toRelease.Values], TimeSpan.Zero, CancellationToken.None);
            }
        }

        return new RedriveResult(RedriveMethod.ReceiveSendDelete, moved, failures.Count, failures, null, cancelled);
    }

    /// <summary>Send, verify, then delete; null on success, else what went wrong (the original is still in the DLQ).</summary>
    private async Task<RedriveFailure?> MoveAsync(string dlqUrl, string sourceUrl, QueueMessage message, CancellationToken cancellationToken)
    {
        SentMessage sent;
        try
        {
            sent = await _queues.SendAsync(sourceUrl, message.Body, message.MessageAttributes, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new RedriveFailure(message.MessageId, "send to the source queue failed: " + ex.Message);
        }

        if (sent.Md5OfBody is null || !string.Equals(sent.Md5OfBody, Md5Hex(message.Body), StringComparison.OrdinalIgnoreCase))
        {
            // The copy may be damaged: keep the original. A bad copy in the source queue fails and returns to the DLQ.
            return new RedriveFailure(message.MessageId, $"the source queue's MD5 of the body ({sent.Md5OfBody ?? "none"}) does not match; original kept (copy {sent.MessageId} may be a duplicate)");
        }

        try
        {
            // Deliberately not cancellable: the copy is in place, so finishing the move is the safe way to stop.
            await _queues.DeleteAsync(dlqUrl, message.ReceiptHandle, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new RedriveFailure(message.MessageId, $"copied to the source queue as {sent.MessageId} but not deleted from the DLQ ({ex.Message}): a duplicate, absorbed by the consumer's idempotency");
        }

        return null;
    }

    /// <summary>The digest SQS returns as MD5OfMessageBody (lower-case hex of the UTF-8 body).</summary>
    internal static string Md5Hex(string body)
    {
#pragma warning disable CA5351 // SQS defines its integrity check as MD5; this is a checksum, not security.
        return Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(body)));
#pragma warning restore CA5351
    }
}

using Fanout.Cli.Queues;

namespace Fanout.Cli.Dlq;

/// <summary>A DLQ message with the failure its consumer recorded.</summary>
internal sealed record DlqEntry(QueueMessage Message, FailureLookup Failure);

/// <summary>Looks at DLQ messages without taking them: SQS has no "peek", so they are received with a short
/// visibility timeout and made visible again straight away (even on error or Ctrl-C), leaving the queue as it was
/// apart from each message's receive count going up by one.</summary>
internal sealed class DlqInspector
{
    /// <summary>Long enough to read a few batches; if the release fails the messages reappear by themselves after it.</summary>
    public static readonly TimeSpan PeekVisibility = TimeSpan.FromSeconds(30);

    private readonly IQueueOps _queues;
    private readonly IFailureReasons _reasons;

    public DlqInspector(IQueueOps queues, IFailureReasons reasons)
    {
        ArgumentNullException.ThrowIfNull(queues);
        ArgumentNullException.ThrowIfNull(reasons);
        _queues = queues;
        _reasons = reasons;
    }

    /// <summary>Up to <paramref name="max"/> messages, stopping early once <paramref name="stopAt"/> (a message id) is seen.</summary>
    public async Task<IReadOnlyList<DlqEntry>> PeekAsync(string dlqUrl, int max, string? stopAt, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        var held = new List<QueueMessage>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            while (held.Count < max)
            {
                // A short long-poll: on AWS a zero-wait receive samples only some servers and can come back empty early.
                var batch = await _queues.ReceiveAsync(dlqUrl, Math.Min(10, max - held.Count), PeekVisibility, TimeSpan.FromSeconds(1), cancellationToken);
                var fresh = batch.Where(m => seen.Add(m.MessageId)).ToList();
                held.AddRange(batch);
                if (fresh.Count == 0 || (stopAt is not null && fresh.Any(m => m.MessageId == stopAt)))
                {
                    break;
                }
            }
        }
        finally
        {
            if (held.Count > 0)
            {
                // Not the caller's token: a Ctrl-C must still hand the messages back.
                await _queues.ChangeVisibilityAsync(dlqUrl, [.. held.Select(m => m.ReceiptHandle)], TimeSpan.Zero, CancellationToken.None);
            }
        }

        var entries = new List<DlqEntry>();
        foreach (var message in held.DistinctBy(m => m.MessageId))
        {
            entries.Add(new DlqEntry(message, await _reasons.FindAsync(message.MessageId, cancellationToken)));
        }

        return entries;
    }
}

using Fanout.Cli.Queues;
using Fanout.Cli.Targeting;

namespace Fanout.Cli.Watch;

/// <summary>One consumer's queue and DLQ at one moment.</summary>
internal sealed record QueueSnapshot(string Service, QueueCounts? Queue, QueueCounts? DeadLetter, OldestAge QueueAge, OldestAge DeadLetterAge, string? Error);

/// <summary>Reads every queue's depth from attributes only (GetQueueAttributes), so watching never changes what it
/// watches.</summary>
internal sealed class QueueMonitor
{
    private readonly IQueueOps _queues;
    private readonly IOldestMessageAge _ages;
    private readonly IReadOnlyList<QueuePair> _pairs;

    public QueueMonitor(IQueueOps queues, IOldestMessageAge ages, IReadOnlyList<QueuePair> pairs)
    {
        ArgumentNullException.ThrowIfNull(queues);
        ArgumentNullException.ThrowIfNull(ages);
        ArgumentNullException.ThrowIfNull(pairs);
        _queues = queues;
        _ages = ages;
        _pairs = pairs;
    }

    public string AgeExplanation => _ages.Explanation;

    public async Task<IReadOnlyList<QueueSnapshot>> SnapshotAsync(CancellationToken cancellationToken) =>
        await Task.WhenAll(_pairs.Select(pair => SnapshotAsync(pair, cancellationToken)));

    private async Task<QueueSnapshot> SnapshotAsync(QueuePair pair, CancellationToken cancellationToken)
    {
        var queue = _queues.GetCountsAsync(pair.QueueUrl, cancellationToken);
        var dlq = _queues.GetCountsAsync(pair.DeadLetterQueueUrl, cancellationToken);
        var queueAge = _ages.GetAsync(pair.QueueUrl, cancellationToken);
        var dlqAge = _ages.GetAsync(pair.DeadLetterQueueUrl, cancellationToken);
        try
        {
            await Task.WhenAll(queue, dlq, queueAge, dlqAge);
            return new QueueSnapshot(pair.Service, queue.Result, dlq.Result, queueAge.Result, dlqAge.Result, null);
        }
        catch (Exception ex) when (ex is Amazon.Runtime.AmazonServiceException or HttpRequestException or Amazon.Runtime.AmazonClientException)
        {
            // One unreadable queue (deleted, no permission, emulator gone) must not blank the whole screen.
            return new QueueSnapshot(
                pair.Service,
                queue.IsCompletedSuccessfully ? queue.Result : null,
                dlq.IsCompletedSuccessfully ? dlq.Result : null,
                queueAge.IsCompletedSuccessfully ? queueAge.Result : OldestAge.Unknown("?"),
                dlqAge.IsCompletedSuccessfully ? dlqAge.Result : OldestAge.Unknown("?"),
                ex.Message);
        }
    }
}

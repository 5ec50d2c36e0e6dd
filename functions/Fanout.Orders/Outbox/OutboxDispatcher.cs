using Fanout.Functions.Common.Publishing;

namespace Fanout.Orders.Outbox;

/// <summary>Publishes outbox entries and deletes each one after the topic accepted it. The intake (inline, right after
/// its write), the outbox relay (from the table's stream) and the reconciler all go through here, so every path
/// publishes the stored bytes and leaves the outbox in the same state.</summary>
/// <remarks>Publishing and deleting are two steps: a crash between them leaves the entry, and it is published again
/// by the relay or the reconciler. That second copy carries the same event id, so consumers deduplicate it.</remarks>
public sealed class OutboxDispatcher
{
    private readonly IOutbox _outbox;
    private readonly IEventPublisher _publisher;

    public OutboxDispatcher(IOutbox outbox, IEventPublisher publisher)
    {
        ArgumentNullException.ThrowIfNull(outbox);
        ArgumentNullException.ThrowIfNull(publisher);
        _outbox = outbox;
        _publisher = publisher;
    }

    /// <summary>Publishes <paramref name="entry"/>, then deletes it.</summary>
    /// <exception cref="OperationCanceledException">Cancelled before both steps finished; the entry stays (or was
    /// published but not deleted) and will be published again.</exception>
    /// <exception cref="Exception">The publish or the delete failed; the entry stays.</exception>
    public async Task DispatchAsync(OutboxEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        await _publisher.PublishAsync(entry.Event, cancellationToken);
        await _outbox.CompleteAsync(entry.EventId, cancellationToken);
    }

    /// <summary>Publishes the entry named <paramref name="eventId"/> if it is still pending (read consistently first,
    /// so an entry the intake already published is not published again).</summary>
    /// <returns>True when it was published now; false when it was already gone.</returns>
    public async Task<bool> DispatchPendingAsync(string eventId, CancellationToken cancellationToken)
    {
        var entry = await _outbox.GetAsync(eventId, cancellationToken);
        if (entry is null)
        {
            return false;
        }

        await DispatchAsync(entry, cancellationToken);
        return true;
    }
}

using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Publishing;
using Fanout.Orders.Core;
using Fanout.Orders.Outbox;

namespace Fanout.OutboxRelay.Core;

/// <summary>One stream record as the relay sees it, free of the Lambda event's types.</summary>
/// <param name="SequenceNumber">The record's stream sequence number (names it in a partial batch response).</param>
/// <param name="EventName"><c>INSERT</c>, <c>MODIFY</c> or <c>REMOVE</c>.</param>
/// <param name="PartitionKey">The item's <c>pk</c>, or null when the record carries none.</param>
/// <param name="CreatedAt">The entry's <c>createdAt</c> from the new image, or null when absent or unreadable.</param>
public sealed record RelayRecord(string SequenceNumber, string EventName, string? PartitionKey, DateTimeOffset? CreatedAt = null);

/// <summary>What one batch came to.</summary>
/// <param name="Published">Facts still owed, published now (an outbox entry is deleted after).</param>
/// <param name="AlreadyPublished">Facts no longer owed: an entry the intake (or an earlier attempt) had already published
/// and deleted, or an order with an outcome applied (so its <c>OrderPlaced</c> got through), or no longer there.</param>
/// <param name="Ignored">Records that are neither new outbox entries nor new orders (the event source's filter lets
/// none through on AWS).</param>
/// <param name="FailedSequenceNumber">The first record that failed, or null; it and every record after it were not
/// finished and are retried from there.</param>
/// <param name="Failure">Why it failed.</param>
public sealed record RelayResult(int Published, int AlreadyPublished, int Ignored, string? FailedSequenceNumber, Exception? Failure);

/// <summary>The outbox relay's rule: for each new <c>OUTBOX#</c> item in the stream, in stream order, publish the entry
/// if it is still pending (<see cref="OutboxDispatcher.DispatchPendingAsync"/>); for each new <c>ORDER#</c> item, publish
/// its <c>OrderPlaced</c> if the order still owes it (<see cref="OrderRecord.OwesPlaced"/>: no outcome applied yet). It stops at the first failure: a
/// stream is retried from the lowest failed sequence number onward (Lambda developer guide, "Configuring partial batch
/// response with DynamoDB and Lambda"), so going on would only publish records that are read again anyway, and a
/// topic that is down would make each of them wait for its own timeout.</summary>
/// <remarks>The intake publishes each entry itself right after its write, for up to
/// <see cref="OutboxSpec.InlinePublishTimeoutMs"/>, then deletes it. A stream record can arrive inside that window, and a
/// read then would find the entry and publish it a second time. So the relay first lets an entry reach
/// <see cref="InlineGrace"/> of age (measured from its <c>createdAt</c>), then reads it: in the normal case the intake
/// has deleted it by then (an order has its first outcome applied by then) and the relay publishes nothing (0 extra
/// publishes per order). Should the outcomes take longer than the grace, the relay publishes the same fact again (same
/// event id), which the consumers deduplicate. The cost is that an entry the
/// intake could not publish goes out at least that long after its write.</remarks>
public sealed class OutboxRelayer
{
    /// <summary>The intake's inline publish window plus a margin for its delete.</summary>
    public static readonly TimeSpan InlineGrace = TimeSpan.FromMilliseconds(OutboxSpec.InlinePublishTimeoutMs + 500);

    private readonly OutboxDispatcher _dispatcher;
    private readonly IOrderReader _orders;
    private readonly IEventPublisher _publisher;
    private readonly TimeProvider _time;

    public OutboxRelayer(OutboxDispatcher dispatcher, IOrderReader orders, IEventPublisher publisher, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(dispatcher);
        ArgumentNullException.ThrowIfNull(orders);
        ArgumentNullException.ThrowIfNull(publisher);
        ArgumentNullException.ThrowIfNull(time);
        _dispatcher = dispatcher;
        _orders = orders;
        _publisher = publisher;
        _time = time;
    }

    /// <summary>The order id of a record that is a new order item, else null.</summary>
    public static string? NewOrderId(RelayRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return string.Equals(record.EventName, "INSERT", StringComparison.Ordinal)
            && record.PartitionKey is { } key
            && key.StartsWith(OutboxSpec.OrderKeyPrefix, StringComparison.Ordinal)
            && key.Length > OutboxSpec.OrderKeyPrefix.Length
            ? key[OutboxSpec.OrderKeyPrefix.Length..]
            : null;
    }

    /// <summary>The event id of a record that is a new outbox entry, else null.</summary>
    public static string? NewEntryEventId(RelayRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!string.Equals(record.EventName, "INSERT", StringComparison.Ordinal)
            || record.PartitionKey is not { } key
            || !key.StartsWith(OutboxSpec.KeyPrefix, StringComparison.Ordinal)
            || key.Length == OutboxSpec.KeyPrefix.Length)
        {
            return null;
        }

        return key[OutboxSpec.KeyPrefix.Length..];
    }

    public async Task<RelayResult> RelayAsync(IReadOnlyList<RelayRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        int published = 0, already = 0, ignored = 0;
        foreach (var record in records)
        {
            var eventId = NewEntryEventId(record);
            var orderId = eventId is null ? NewOrderId(record) : null;
            if (eventId is null && orderId is null)
            {
                ignored++;
                continue;
            }

            try
            {
                if (record.CreatedAt is { } createdAt && createdAt + InlineGrace - _time.GetUtcNow() is { } wait && wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _time, cancellationToken);
                }

                if (eventId is not null ? await _dispatcher.DispatchPendingAsync(eventId, cancellationToken) : await PublishOwedAsync(orderId!, cancellationToken))
                {
                    published++;
                }
                else
                {
                    already++;
                }
            }
#pragma warning disable CA1031 // Any failure (the topic, the table, the deadline) means "retry from this record".
            catch (Exception ex)
#pragma warning restore CA1031
            {
                return new RelayResult(published, already, ignored, record.SequenceNumber, ex);
            }
        }

        return new RelayResult(published, already, ignored, null, null);
    }

    /// <summary>Publishes the order's <c>OrderPlaced</c> if it still owes it.</summary>
    /// <returns>True when it was published now.</returns>
    private async Task<bool> PublishOwedAsync(string orderId, CancellationToken cancellationToken)
    {
        if (await _orders.GetAsync(orderId, cancellationToken) is not { OwesPlaced: true } order)
        {
            return false;
        }

        await _publisher.PublishAsync(OrderPlacedEvents.Of(order), cancellationToken);
        return true;
    }
}

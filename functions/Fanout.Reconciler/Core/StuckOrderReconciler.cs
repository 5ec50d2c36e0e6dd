using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Publishing;
using Fanout.Orders.Core;
using Fanout.Orders.Outbox;

namespace Fanout.Reconciler.Core;

/// <summary>What one run found and did.</summary>
/// <param name="Found">Orders open (<c>PENDING</c> or <c>CANCELLING</c>) for longer than the threshold, over every shard:
/// the <c>StuckOrders</c> metric.</param>
/// <param name="DispatchedFromOutbox">Pending facts still in the outbox, published now: an <c>OrderPlaced</c> the order
/// item still owes (no outcome applied), or an <c>OrderCancelled</c> whose entry was still there (deleted after).</param>
/// <param name="Republished">Facts whose entry was already gone (published once), published again with the same id.</param>
/// <param name="Failed">Orders whose fact could not be published this run (tried again next run).</param>
/// <param name="FailedShards">Shards that could not be read this run.</param>
public sealed record ReconcileResult(int Found, int DispatchedFromOutbox, int Republished, int Failed, int FailedShards);

/// <summary>The reconciler's rule ("monitor expected outputs"): an order still open after the threshold has a fact that
/// did not get through, or did get through and was lost downstream. For each one it publishes the pending fact from
/// the outbox when it is still owed there, otherwise the same fact again (same event id, so consumers that already acted
/// skip it). One order's failure does not stop the others.</summary>
public sealed class StuckOrderReconciler
{
    private readonly IOpenOrderQuery _orders;
    private readonly OutboxDispatcher _dispatcher;
    private readonly IEventPublisher _publisher;
    private readonly TimeProvider _time;
    private readonly TimeSpan _threshold;

    /// <param name="threshold">How long an order may stay open before it counts as stuck; positive.</param>
    public StuckOrderReconciler(IOpenOrderQuery orders, OutboxDispatcher dispatcher, IEventPublisher publisher, TimeProvider time, TimeSpan threshold)
    {
        ArgumentNullException.ThrowIfNull(orders);
        ArgumentNullException.ThrowIfNull(dispatcher);
        ArgumentNullException.ThrowIfNull(publisher);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(threshold, TimeSpan.Zero);
        _orders = orders;
        _dispatcher = dispatcher;
        _publisher = publisher;
        _time = time;
        _threshold = threshold;
    }

    /// <param name="onFailure">Told of each failure (the order id, or null for a shard, and the error), for logging.</param>
    public async Task<ReconcileResult> RunAsync(Action<string?, int, Exception>? onFailure, CancellationToken cancellationToken)
    {
        var olderThan = _time.GetUtcNow() - _threshold;
        int found = 0, dispatched = 0, republished = 0, failed = 0, failedShards = 0;
        for (var shard = 0; shard < ReconcilerSpec.OpenShards; shard++)
        {
            IReadOnlyList<OpenOrder> open;
            try
            {
                open = await _orders.QueryOpenAsync(shard, olderThan, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                failedShards++;
                onFailure?.Invoke(null, shard, ex);
                continue;
            }

            found += open.Count;
            foreach (var order in open)
            {
                try
                {
                    if (order.OwesPlaced)
                    {
                        // The order item is the OrderPlaced's outbox entry, and no outcome shows it got through.
                        await _publisher.PublishAsync(order.PendingEvent, cancellationToken);
                        dispatched++;
                    }
                    else if (order.Status == OrderStatuses.Cancelling && await _dispatcher.DispatchPendingAsync(order.PendingEvent.Id, cancellationToken))
                    {
                        dispatched++;
                    }
                    else
                    {
                        await _publisher.PublishAsync(order.PendingEvent, cancellationToken);
                        republished++;
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    failed++;
                    onFailure?.Invoke(order.OrderId, shard, ex);
                }
            }
        }

        return new ReconcileResult(found, dispatched, republished, failed, failedShards);
    }
}

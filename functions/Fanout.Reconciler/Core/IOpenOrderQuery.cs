using Fanout.Orders.Core;

namespace Fanout.Reconciler.Core;

/// <summary>The open orders of one shard of the sparse <c>open-orders</c> index (orders <c>PENDING</c> or
/// <c>CANCELLING</c>), as <c>DynamoOpenOrders.QueryOpenAsync</c> reads them.</summary>
public interface IOpenOrderQuery
{
    /// <summary>The orders of shard <paramref name="shard"/> (0 to <c>ReconcilerSpec.OpenShards - 1</c>) open since
    /// before <paramref name="olderThan"/>, each with the fact it still owes the topic.</summary>
    Task<IReadOnlyList<OpenOrder>> QueryOpenAsync(int shard, DateTimeOffset olderThan, CancellationToken cancellationToken);
}

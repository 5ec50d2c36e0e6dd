// TEMPORARY, until branch h1 is merged: H1 adds to Fanout.Orders exactly
//   record OpenOrder(string OrderId, string Status, DateTimeOffset OpenSince, OutgoingEvent PendingEvent)  (Fanout.Orders.Core)
//   DynamoOrderStore.QueryOpenAsync(int shard, DateTimeOffset olderThan, CancellationToken)
// Delete this file when merging h1: its record then duplicates H1's (CS0436), and H1's instance method wins over the
// extension below without any other change.
using Fanout.Functions.Common.Publishing;
using Fanout.Orders;
using Fanout.Orders.Core;

namespace Fanout.Orders.Core
{
    /// <summary>An order still open (<c>PENDING</c> or <c>CANCELLING</c>) and the fact it owes the topic.</summary>
    public sealed record OpenOrder(string OrderId, string Status, DateTimeOffset OpenSince, OutgoingEvent PendingEvent);
}

namespace Fanout.Reconciler
{
    internal static class PendingOrderStoreContract
    {
        public static Task<IReadOnlyList<OpenOrder>> QueryOpenAsync(this DynamoOrderStore store, int shard, DateTimeOffset olderThan, CancellationToken cancellationToken) =>
            throw new NotSupportedException("DynamoOrderStore.QueryOpenAsync comes with branch h1.");
    }
}

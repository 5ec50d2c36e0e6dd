using Fanout.Functions.Common.Aws;
using Fanout.Functions.Common.Configuration;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Metrics;
using Fanout.Functions.Common.Publishing;
using Fanout.Orders;
using Fanout.Orders.Core;
using Fanout.Orders.Outbox;
using Fanout.Reconciler.Core;

namespace Fanout.Reconciler;

/// <summary>The composition root: builds the object graph once per process, without a reflection container.</summary>
public static class Composition
{
    /// <param name="logOutput">Log lines and EMF metric lines: stdout on Lambda, where CloudWatch extracts the metric.</param>
    /// <param name="decoratePublisher">Lets the local harness wrap the publisher (counting publishes in tests).</param>
    public static ReconcilerFunction Create(FunctionSettings settings, ReconcilerSettings reconcilerSettings, TimeProvider time, TextWriter logOutput, Func<IEventPublisher, IEventPublisher>? decoratePublisher = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(reconcilerSettings);
        var log = new FanoutLogger(settings.ServiceName, time, logOutput, settings.LogLevel);
        IEventPublisher publisher = new SnsEventPublisher(AwsClients.Sns(time), settings.RequireTopicArn(), log);
        publisher = decoratePublisher?.Invoke(publisher) ?? publisher;
        var dynamo = AwsClients.DynamoDb();
        var dispatcher = new OutboxDispatcher(new DynamoOutbox(dynamo, settings.TableName), publisher);
        var reconciler = new StuckOrderReconciler(new StoreOpenOrders(new DynamoOpenOrders(dynamo, settings.TableName)), dispatcher, publisher, time, reconcilerSettings.StuckThreshold);
        return new ReconcilerFunction(reconciler, new EmbeddedMetrics(logOutput, time), log);
    }

    private sealed class StoreOpenOrders(DynamoOpenOrders orders) : IOpenOrderQuery
    {
        public Task<IReadOnlyList<OpenOrder>> QueryOpenAsync(int shard, DateTimeOffset olderThan, CancellationToken cancellationToken) =>
            orders.QueryOpenAsync(shard, olderThan, cancellationToken);
    }
}

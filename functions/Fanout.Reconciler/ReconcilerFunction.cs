using System.Text.Json;
using Fanout.AwsShims.Runtime;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Metrics;
using Fanout.Functions.Common.Runtime;
using Fanout.Reconciler.Core;

namespace Fanout.Reconciler;

/// <summary>Adapter: a scheduled invocation (any JSON; the schedule's payload is not read) → one
/// <see cref="StuckOrderReconciler"/> run → the <c>StuckOrders</c> metric as an EMF line (namespace <c>Fanout</c>,
/// dimension <c>Service=orders</c>) and a summary log line. Answers <c>{"stuckOrders":n,...}</c>. Logs order ids, never
/// an envelope.</summary>
public sealed class ReconcilerFunction : ILambdaHandler
{
    /// <summary>The <c>Service</c> dimension of the metric: the service the stuck orders belong to.</summary>
    public const string MetricService = "orders";

    private readonly StuckOrderReconciler _reconciler;
    private readonly EmbeddedMetrics _metrics;
    private readonly FanoutLogger _log;

    public ReconcilerFunction(StuckOrderReconciler reconciler, EmbeddedMetrics metrics, FanoutLogger log)
    {
        ArgumentNullException.ThrowIfNull(reconciler);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(log);
        _reconciler = reconciler;
        _metrics = metrics;
        _log = log;
    }

    public async Task<byte[]> InvokeAsync(ReadOnlyMemory<byte> payload, LambdaInvocation invocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        using var scope = InvocationContext.Begin(invocation);
        var result = await _reconciler.RunAsync(
            (orderId, shard, error) =>
            {
                if (orderId is null)
                {
                    _log.Error("Open orders shard not read", error, ("shard", shard));
                }
                else
                {
                    _log.Error("Pending fact not republished", error, ("orderId", orderId), ("shard", shard));
                }
            },
            cancellationToken);

        _metrics.Put(ReconcilerSpec.MetricNamespace, MetricService, ReconcilerSpec.StuckOrdersMetric, EmbeddedMetrics.CountUnit, result.Found);
        var fields = new (string, object?)[]
        {
            ("stuckOrders", result.Found),
            ("dispatchedFromOutbox", result.DispatchedFromOutbox),
            ("republished", result.Republished),
            ("failed", result.Failed),
            ("failedShards", result.FailedShards),
        };
        if (result.Failed > 0 || result.FailedShards > 0)
        {
            _log.Warn("Reconciler run done with failures", fields);
        }
        else
        {
            _log.Info("Reconciler run done", fields);
        }

        return Summary(result);
    }

    internal static byte[] Summary(ReconcileResult result)
    {
        using var buffer = new MemoryStream(128);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("stuckOrders", result.Found);
            json.WriteNumber("dispatchedFromOutbox", result.DispatchedFromOutbox);
            json.WriteNumber("republished", result.Republished);
            json.WriteNumber("failed", result.Failed);
            json.WriteNumber("failedShards", result.FailedShards);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }
}

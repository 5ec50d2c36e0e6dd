using Fanout.Functions.Common.Aws;
using Fanout.Functions.Common.Configuration;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Metrics;
using Fanout.Functions.Common.Sqs;
using Fanout.Orders;
using Fanout.OrderStatus.Core;

namespace Fanout.OrderStatus;

/// <summary>The composition root: builds the object graph once per process, without a reflection container.</summary>
public static class Composition
{
    public static SqsBatchFunction Create(FunctionSettings settings, TimeProvider time, TextWriter logOutput)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var dynamo = AwsClients.DynamoDb();
        var log = new FanoutLogger(settings.ServiceName, time, logOutput, settings.LogLevel);
        var store = new DynamoOrderStore(dynamo, settings.TableName, time);
        return ConsumerFunction.Create(settings, time, log, dynamo, new OrderStatusFunction(new OrderStatusService(store), log, new EmbeddedMetrics(logOutput, time)));
    }
}

using Fanout.Contracts.Events;
using Fanout.Functions.Common.Aws;
using Fanout.Functions.Common.Configuration;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Publishing;
using Fanout.Functions.Common.Sqs;
using Fanout.Inventory.Core;

namespace Fanout.Inventory;

/// <summary>The composition root: builds the object graph once per process, without a reflection container.</summary>
public static class Composition
{
    /// <param name="decoratePublisher">Lets the local harness wrap the publisher (fault injection in tests).</param>
    public static SqsBatchFunction Create(FunctionSettings settings, TimeProvider time, TextWriter logOutput, Func<IEventPublisher, IEventPublisher>? decoratePublisher = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var dynamo = AwsClients.DynamoDb();
        var log = new FanoutLogger(settings.ServiceName, time, logOutput, settings.LogLevel);
        IEventPublisher publisher = new SnsEventPublisher(AwsClients.Sns(time), settings.RequireTopicArn(), log);
        publisher = decoratePublisher?.Invoke(publisher) ?? publisher;
        var ledger = new DynamoStockLedger(dynamo, settings.TableName, time);
        var service = new InventoryService(ledger, publisher, time);
        var handler = new FactRecordHandler(log)
            .On(EventTypes.OrderPlaced, ContractsJsonContext.Default.OrderPlaced, d => d.OrderId, service.HandleAsync)
            .On(EventTypes.OrderCancelled, ContractsJsonContext.Default.OrderCancelled, d => d.OrderId, service.HandleAsync);
        return ConsumerFunction.Create(settings, time, log, dynamo, handler);
    }
}

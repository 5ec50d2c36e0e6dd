using Fanout.Functions.Common.Aws;
using Fanout.Functions.Common.Configuration;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Publishing;
using Fanout.Orders;
using Fanout.Orders.Outbox;
using Fanout.OutboxRelay.Core;

namespace Fanout.OutboxRelay;

/// <summary>The composition root: builds the object graph once per process, without a reflection container.</summary>
public static class Composition
{
    /// <param name="decoratePublisher">Lets the local harness wrap the publisher (counting publishes in tests).</param>
    public static OutboxRelayFunction Create(FunctionSettings settings, TimeProvider time, TextWriter logOutput, Func<IEventPublisher, IEventPublisher>? decoratePublisher = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var log = new FanoutLogger(settings.ServiceName, time, logOutput, settings.LogLevel);
        IEventPublisher publisher = new SnsEventPublisher(AwsClients.Sns(time), settings.RequireTopicArn(), log);
        publisher = decoratePublisher?.Invoke(publisher) ?? publisher;
        var dynamo = AwsClients.DynamoDb();
        var outbox = new DynamoOutbox(dynamo, settings.TableName);
        var orders = new DynamoOrderReader(dynamo, settings.TableName);
        return new OutboxRelayFunction(new OutboxRelayer(new OutboxDispatcher(outbox, publisher), orders, publisher, time), log);
    }
}

using Fanout.Functions.Common.Aws;
using Fanout.Functions.Common.Configuration;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Publishing;
using Fanout.OrderIntake.Core;
using Fanout.Orders;
using Fanout.Orders.Outbox;

namespace Fanout.OrderIntake;

/// <summary>The composition root: builds the object graph once per process, without a reflection container.</summary>
public static class Composition
{
    /// <param name="decoratePublisher">Lets the local harness wrap the publisher (fault injection in tests).</param>
    public static OrderIntakeFunction Create(FunctionSettings settings, TimeProvider time, TextWriter logOutput, Func<IEventPublisher, IEventPublisher>? decoratePublisher = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var log = new FanoutLogger(settings.ServiceName, time, logOutput, settings.LogLevel);
        IEventPublisher publisher = new SnsEventPublisher(AwsClients.Sns(time), settings.RequireTopicArn(), log);
        publisher = decoratePublisher?.Invoke(publisher) ?? publisher;
        var dynamo = AwsClients.DynamoDb();
        var store = new DynamoOrderStore(dynamo, settings.TableName, time, new DynamoOutbox(dynamo, settings.TableName));
        var inlineTimeout = IntakeSettings.InlinePublishTimeout(Environment.GetEnvironmentVariable);
        return new OrderIntakeFunction(new OrderService(store, publisher, time, inlineTimeout), log, settings.SmsAllowedCountryCodes);
    }
}

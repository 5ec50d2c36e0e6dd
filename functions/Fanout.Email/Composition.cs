using Fanout.AwsShims.Ses;
using Fanout.Email.Core;
using Fanout.Functions.Common.Aws;
using Fanout.Functions.Common.Configuration;
using Fanout.Functions.Common.Consumers;
using Fanout.Functions.Common.Idempotency;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Publishing;
using Fanout.Functions.Common.Sqs;

namespace Fanout.Email;

/// <summary>The composition root: builds the object graph once per process, without a reflection container.</summary>
public static class Composition
{
    /// <param name="decoratePublisher">Lets the local harness wrap the publisher (fault injection in tests).</param>
    /// <param name="decorateSender">Lets the local harness wrap the sender (counting provider calls in tests).</param>
    public static SqsBatchFunction Create(
        FunctionSettings settings,
        TimeProvider time,
        TextWriter logOutput,
        Func<IEventPublisher, IEventPublisher>? decoratePublisher = null,
        Func<IEmailSender, IEmailSender>? decorateSender = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var log = new FanoutLogger(settings.ServiceName, time, logOutput, settings.LogLevel);
        var dynamo = AwsClients.DynamoDb();
        IEventPublisher publisher = new SnsEventPublisher(AwsClients.Sns(time), settings.RequireTopicArn(), log);
        publisher = decoratePublisher?.Invoke(publisher) ?? publisher;
        var store = new LeaseIdempotencyStore(dynamo, settings.TableName, settings.IdempotencyRetention, time);
        IEmailSender sender = settings.EmailSender == "ses"
            ? new SesEmailSender(SesClient.FromEnvironment(AwsClients.SharedHttp, time), settings.EmailFromAddress!)
            : new RecordingEmailSender(dynamo, settings.TableName, time);
        sender = decorateSender?.Invoke(sender) ?? sender;
        var service = new EmailService(new IdempotentEffect(store, publisher, time, log: log), sender, time, new RecordedEffect(publisher, time));
        return ConsumerFunction.Create(settings, time, log, dynamo, new FactRecordHandler(log).OnCustomerFacts(service));
    }
}

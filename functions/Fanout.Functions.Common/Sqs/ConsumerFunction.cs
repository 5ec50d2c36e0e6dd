using Amazon.DynamoDBv2;
using Fanout.Functions.Common.Aws;
using Fanout.Functions.Common.Configuration;
using Fanout.Functions.Common.Logging;

namespace Fanout.Functions.Common.Sqs;

/// <summary>The one shape every consumer's composition root ends in: its record handler inside the batch loop,
/// with failure reasons recorded in its table and transient failures delayed with the configured backoff.</summary>
public static class ConsumerFunction
{
    public static SqsBatchFunction Create(FunctionSettings settings, TimeProvider time, FanoutLogger log, IAmazonDynamoDB dynamo, ISqsRecordHandler handler)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new SqsBatchFunction(
            handler,
            log,
            time,
            new DynamoFailureRecorder(dynamo, settings.TableName, settings.IdempotencyRetention, time),
            new SqsMessageVisibility(AwsClients.Sqs(), SqsQueueUrl.EndpointFromEnvironment()),
            new RetryBackoff(settings.RetryBackoffBaseSeconds, settings.RetryBackoffCapSeconds));
    }
}

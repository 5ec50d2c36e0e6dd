using System.Diagnostics;
using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.SQS;
using Amazon.SQS.Model;
using Fanout.AwsShims.Signing;
using Fanout.AwsShims.Sns;

namespace Fanout.Cli.Ceiling;

public sealed record CeilingResult(int Messages, TimeSpan MessagingElapsed, int Writes, TimeSpan WritesElapsed)
{
    public double MessagesPerSecond => Messages / MessagingElapsed.TotalSeconds;

    public double WritesPerSecond => Writes / WritesElapsed.TotalSeconds;
}

/// <summary>Measures what the emulators themselves sustain, with no Fanout code in the path, so `fanout load`
/// figures can be read against it: raw SNS publish → SQS receive/delete through a throwaway subscription
/// (filtered on a type no consumer listens to), and DynamoDB conditional writes into a throwaway table.</summary>
public sealed class EmulatorCeiling
{
    private const string ProbeType = "CeilingProbe";
    private readonly IAmazonSQS _sqs;
    private readonly SnsClient _sns;
    private readonly IAmazonDynamoDB _dynamo;

    public EmulatorCeiling(IAmazonSQS sqs, SnsClient sns, IAmazonDynamoDB dynamo)
    {
        _sqs = sqs;
        _sns = sns;
        _dynamo = dynamo;
    }

    public async Task<CeilingResult> MeasureAsync(string topicArn, int messages, int writes, int concurrency, CancellationToken cancellationToken)
    {
        var (messagingElapsed, writesElapsed) = (await MessagingAsync(topicArn, messages, concurrency, cancellationToken), await WritesAsync(writes, concurrency, cancellationToken));
        return new CeilingResult(messages, messagingElapsed, writes, writesElapsed);
    }

    private async Task<TimeSpan> MessagingAsync(string topicArn, int messages, int concurrency, CancellationToken cancellationToken)
    {
        var queueUrl = (await _sqs.CreateQueueAsync("fanout-ceiling-" + Guid.NewGuid().ToString("N")[..8], cancellationToken)).QueueUrl;
        try
        {
            var queueArn = (await _sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = queueUrl, AttributeNames = ["QueueArn"] }, cancellationToken)).QueueARN;
            await _sns.SubscribeAsync(topicArn, "sqs", queueArn, new Dictionary<string, string>
            {
                ["RawMessageDelivery"] = "true",
                ["FilterPolicy"] = $"{{\"type\":[\"{ProbeType}\"]}}",
            }, cancellationToken);

            var clock = Stopwatch.StartNew();
            var batches = Enumerable.Range(0, (messages + 9) / 10).Select(b => Math.Min(10, messages - (b * 10))).ToList();
            var publishing = Parallel.ForEachAsync(batches.Select((size, index) => (size, index)), new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken }, async (batch, ct) =>
            {
                var entries = Enumerable.Range(0, batch.size).Select(i => new SnsPublishRequest
                {
                    Message = $"{{\"probe\":{batch.index * 10 + i}}}",
                    BatchEntryId = i.ToString(CultureInfo.InvariantCulture),
                    StringAttributes = new Dictionary<string, string> { ["type"] = ProbeType },
                }).ToList();
                // A duplicated probe would inflate the count this measures, so a timeout is not retried.
                var result = await _sns.PublishBatchAsync(topicArn, entries, CallIdempotency.NotIdempotent, ct);
                if (result.Failed.Count > 0)
                {
                    throw new InvalidOperationException($"PublishBatch failed for {result.Failed.Count} entries: {result.Failed[0].Message}");
                }
            });

            var received = 0;
            var draining = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
            {
                while (Volatile.Read(ref received) < messages)
                {
                    var batch = await _sqs.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = queueUrl, MaxNumberOfMessages = 10, WaitTimeSeconds = 1 }, cancellationToken);
                    if (batch.Messages is not { Count: > 0 } got)
                    {
                        continue;
                    }

                    await _sqs.DeleteMessageBatchAsync(queueUrl, got.Select((m, i) => new DeleteMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), m.ReceiptHandle)).ToList(), cancellationToken);
                    Interlocked.Add(ref received, got.Count);
                }
            }, cancellationToken)).ToList();

            await publishing;
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await Task.WhenAll(draining).WaitAsync(timeout.Token);
            return clock.Elapsed;
        }
        finally
        {
            await _sqs.DeleteQueueAsync(queueUrl, CancellationToken.None);
        }
    }

    private async Task<TimeSpan> WritesAsync(int writes, int concurrency, CancellationToken cancellationToken)
    {
        var table = "fanout-ceiling-" + Guid.NewGuid().ToString("N")[..8];
        await _dynamo.CreateTableAsync(
            new CreateTableRequest
            {
                TableName = table,
                BillingMode = BillingMode.PAY_PER_REQUEST,
                AttributeDefinitions = [new AttributeDefinition("pk", ScalarAttributeType.S)],
                KeySchema = [new KeySchemaElement("pk", KeyType.HASH)],
            },
            cancellationToken);
        try
        {
            var clock = Stopwatch.StartNew();
            await Parallel.ForEachAsync(Enumerable.Range(0, writes), new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken }, async (i, ct) =>
                await _dynamo.PutItemAsync(
                    new PutItemRequest
                    {
                        TableName = table,
                        Item = new Dictionary<string, AttributeValue> { ["pk"] = new() { S = "EVENT#" + i.ToString(CultureInfo.InvariantCulture) }, ["status"] = new() { S = "COMPLETED" } },
                        ConditionExpression = "attribute_not_exists(pk)",
                    },
                    ct));
            return clock.Elapsed;
        }
        finally
        {
            await _dynamo.DeleteTableAsync(table, CancellationToken.None);
        }
    }
}

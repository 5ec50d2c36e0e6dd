using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.SQS;
using Amazon.SQS.Model;
using Fanout.AwsShims.Sns;
using Fanout.Contracts.Topology;

namespace Fanout.Harness.Provisioning;

/// <summary>A consumer's queues as provisioned.</summary>
public sealed record QueueSet(ConsumerSpec Consumer, string QueueUrl, string QueueArn, string DeadLetterQueueUrl, string DeadLetterQueueArn, string SubscriptionDeadLetterQueueUrl);

/// <summary>What <see cref="TopologyProvisioner"/> created: enough to wire functions and event sources.</summary>
public sealed record ProvisionedTopology(string TopicArn, IReadOnlyDictionary<string, QueueSet> Queues, IReadOnlyDictionary<string, string> Tables)
{
    /// <summary>The orders table's stream (<c>NEW_IMAGE</c>), which feeds the outbox relay; null when the table was not
    /// provisioned here with one.</summary>
    public string? OrdersStreamArn { get; init; }

    public QueueSet QueueFor(ConsumerSpec consumer)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        return Queues[consumer.Service];
    }

    public string TableFor(TableSpec table)
    {
        ArgumentNullException.ThrowIfNull(table);
        return Tables[table.Id];
    }
}

/// <summary>Local-run knobs. Lambda's rule (visibility ≥ 6 × function timeout) is what the CDK stack
/// enforces; locally, retries should come in seconds, so the visibility timeout is set explicitly.</summary>
public sealed record ProvisionOptions
{
    public int VisibilityTimeoutSeconds { get; init; } = 30;
}

/// <summary>Creates the topic, queues with redrive, subscriptions (raw delivery, filter on <c>type</c>,
/// subscription DLQ) and tables from <see cref="FanoutTopology"/>. Idempotent: running it twice is safe.</summary>
public sealed class TopologyProvisioner
{
    private readonly IAmazonSQS _sqs;
    private readonly SnsClient _sns;
    private readonly IAmazonDynamoDB _dynamo;

    public TopologyProvisioner(IAmazonSQS sqs, SnsClient sns, IAmazonDynamoDB dynamo)
    {
        ArgumentNullException.ThrowIfNull(sqs);
        ArgumentNullException.ThrowIfNull(sns);
        ArgumentNullException.ThrowIfNull(dynamo);
        _sqs = sqs;
        _sns = sns;
        _dynamo = dynamo;
    }

    public async Task<ProvisionedTopology> ProvisionAsync(ProvisionOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var tables = await Task.WhenAll(FanoutTopology.Tables.Select(t => EnsureTableAsync(t, cancellationToken)));
        var ordersStream = (await _dynamo.DescribeTableAsync(FanoutTopology.OrdersTable.LocalName, cancellationToken)).Table.LatestStreamArn;
        var topicArn = await _sns.CreateTopicAsync(FanoutTopology.TopicName, null, cancellationToken);

        var queues = new Dictionary<string, QueueSet>(StringComparer.Ordinal);
        foreach (var consumer in FanoutTopology.Consumers)
        {
            var retention = ((int)TimeSpan.FromDays(consumer.DlqRetentionDays).TotalSeconds).ToString(CultureInfo.InvariantCulture);
            var (dlqUrl, dlqArn) = await EnsureQueueAsync(consumer.DeadLetterQueueName, new() { ["MessageRetentionPeriod"] = retention }, cancellationToken);
            var (subDlqUrl, subDlqArn) = await EnsureQueueAsync(consumer.SubscriptionDeadLetterQueueName, new() { ["MessageRetentionPeriod"] = retention }, cancellationToken);
            var (queueUrl, queueArn) = await EnsureQueueAsync(
                consumer.QueueName,
                new()
                {
                    ["VisibilityTimeout"] = options.VisibilityTimeoutSeconds.ToString(CultureInfo.InvariantCulture),
                    ["RedrivePolicy"] = $"{{\"deadLetterTargetArn\":\"{dlqArn}\",\"maxReceiveCount\":\"{consumer.MaxReceiveCount.ToString(CultureInfo.InvariantCulture)}\"}}",
                },
                cancellationToken);

            await EnsureSubscriptionAsync(topicArn, queueArn, consumer, subDlqArn, cancellationToken);
            queues[consumer.Service] = new QueueSet(consumer, queueUrl, queueArn, dlqUrl, dlqArn, subDlqUrl);
        }

        return new ProvisionedTopology(topicArn, queues, tables.ToDictionary(t => t.Id, t => t.Name, StringComparer.Ordinal)) { OrdersStreamArn = ordersStream };
    }

    private async Task<(string Id, string Name)> EnsureTableAsync(TableSpec table, CancellationToken cancellationToken)
    {
        try
        {
            await _dynamo.CreateTableAsync(CreateRequest(table), cancellationToken);
        }
        catch (ResourceInUseException)
        {
            // Exists already: provisioning is idempotent.
        }

        // Wait on the table's own state, not on a guess of how long creation takes.
        for (var attempt = 0; ; attempt++)
        {
            var described = await _dynamo.DescribeTableAsync(table.LocalName, cancellationToken);
            if (described.Table.TableStatus == TableStatus.ACTIVE)
            {
                break;
            }

            if (attempt > 300)
            {
                throw new TimeoutException($"Table {table.LocalName} did not become ACTIVE.");
            }

            await Task.Delay(100, cancellationToken);
        }

        try
        {
            await _dynamo.UpdateTimeToLiveAsync(
                new UpdateTimeToLiveRequest
                {
                    TableName = table.LocalName,
                    TimeToLiveSpecification = new TimeToLiveSpecification { AttributeName = FanoutTopology.TtlAttribute, Enabled = true },
                },
                cancellationToken);
        }
        catch (AmazonDynamoDBException ex) when (ex.Message.Contains("already enabled", StringComparison.OrdinalIgnoreCase))
        {
            // Second run.
        }

        return (table.Id, table.LocalName);
    }

    /// <summary>Every table has the string key <c>pk</c>. The orders table also has, as on AWS, its stream (new images, read
    /// by the outbox relay) and the sparse <c>open-orders</c> index the reconciler queries.</summary>
    internal static CreateTableRequest CreateRequest(TableSpec table)
    {
        var request = new CreateTableRequest
        {
            TableName = table.LocalName,
            BillingMode = BillingMode.PAY_PER_REQUEST,
            AttributeDefinitions = [new AttributeDefinition(FanoutTopology.PartitionKey, ScalarAttributeType.S)],
            KeySchema = [new KeySchemaElement(FanoutTopology.PartitionKey, KeyType.HASH)],
        };
        if (table == FanoutTopology.OrdersTable)
        {
            request.StreamSpecification = new StreamSpecification { StreamEnabled = true, StreamViewType = StreamViewType.NEW_IMAGE };
            request.AttributeDefinitions.Add(new AttributeDefinition(ReconcilerSpec.OpenShardAttribute, ScalarAttributeType.S));
            request.AttributeDefinitions.Add(new AttributeDefinition(ReconcilerSpec.OpenSinceAttribute, ScalarAttributeType.S));
            request.GlobalSecondaryIndexes =
            [
                new GlobalSecondaryIndex
                {
                    IndexName = ReconcilerSpec.OpenOrdersIndex,
                    KeySchema = [new KeySchemaElement(ReconcilerSpec.OpenShardAttribute, KeyType.HASH), new KeySchemaElement(ReconcilerSpec.OpenSinceAttribute, KeyType.RANGE)],
                    // Keys only, as on AWS (ServiceTable): the reconciler re-reads each order it finds.
                    Projection = new Projection { ProjectionType = ProjectionType.KEYS_ONLY },
                },
            ];
        }

        return request;
    }

    private async Task<(string Url, string Arn)> EnsureQueueAsync(string name, Dictionary<string, string> attributes, CancellationToken cancellationToken)
    {
        var created = await _sqs.CreateQueueAsync(new CreateQueueRequest { QueueName = name, Attributes = attributes }, cancellationToken);
        // CreateQueue returns the existing queue when attributes match; make them match on re-runs too.
        await _sqs.SetQueueAttributesAsync(created.QueueUrl, attributes, cancellationToken);
        var described = await _sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest { QueueUrl = created.QueueUrl, AttributeNames = ["QueueArn"] }, cancellationToken);
        return (created.QueueUrl, described.QueueARN);
    }

    private async Task EnsureSubscriptionAsync(string topicArn, string queueArn, ConsumerSpec consumer, string subscriptionDlqArn, CancellationToken cancellationToken)
    {
        var existing = await _sns.ListSubscriptionsByTopicAsync(topicArn, cancellationToken);
        if (existing.Any(s => s.Protocol == "sqs" && s.Endpoint == queueArn))
        {
            return;
        }

        await _sns.SubscribeAsync(
            topicArn,
            "sqs",
            queueArn,
            new Dictionary<string, string>
            {
                ["RawMessageDelivery"] = "true",
                ["FilterPolicyScope"] = "MessageAttributes",
                ["FilterPolicy"] = consumer.FilterPolicyJson,
                ["RedrivePolicy"] = $"{{\"deadLetterTargetArn\":\"{subscriptionDlqArn}\"}}",
            },
            cancellationToken);
    }
}

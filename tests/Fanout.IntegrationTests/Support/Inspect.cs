using System.Globalization;
using Amazon.DynamoDBv2.Model;
using Amazon.SQS.Model;
using Fanout.Contracts.Topology;
using Fanout.Harness;

namespace Fanout.IntegrationTests.Support;

/// <summary>Reads the system's real state: table items and queue depths.</summary>
public static class Inspect
{
    /// <summary>Every item of a table whose key starts with <paramref name="prefix"/>.</summary>
    public static async Task<List<Dictionary<string, AttributeValue>>> ItemsAsync(LocalFanout fanout, TableSpec table, string prefix)
    {
        var items = new List<Dictionary<string, AttributeValue>>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await fanout.Dynamo.ScanAsync(new ScanRequest
            {
                TableName = fanout.Topology.TableFor(table),
                ConsistentRead = true,
                FilterExpression = "begins_with(#pk, :prefix)",
                ExpressionAttributeNames = new Dictionary<string, string> { ["#pk"] = FanoutTopology.PartitionKey },
                ExpressionAttributeValues = new Dictionary<string, AttributeValue> { [":prefix"] = new() { S = prefix } },
                ExclusiveStartKey = start,
            });
            items.AddRange(page.Items ?? []);
            start = page.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (start is not null);

        return items;
    }

    /// <summary>Visible + in-flight messages of a queue.</summary>
    public static async Task<(int Visible, int InFlight)> DepthAsync(LocalFanout fanout, string queueUrl)
    {
        var attributes = await fanout.Sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest
        {
            QueueUrl = queueUrl,
            AttributeNames = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        });
        return (
            int.Parse(attributes.Attributes["ApproximateNumberOfMessages"], CultureInfo.InvariantCulture),
            int.Parse(attributes.Attributes["ApproximateNumberOfMessagesNotVisible"], CultureInfo.InvariantCulture));
    }

    /// <summary>A one-line summary of every queue and DLQ, for assertions and failure messages.</summary>
    public static async Task<string> AllQueuesAsync(LocalFanout fanout)
    {
        var parts = new List<string>();
        foreach (var queue in fanout.Topology.Queues.Values)
        {
            var main = await DepthAsync(fanout, queue.QueueUrl);
            var dlq = await DepthAsync(fanout, queue.DeadLetterQueueUrl);
            var subDlq = await DepthAsync(fanout, queue.SubscriptionDeadLetterQueueUrl);
            parts.Add($"{queue.Consumer.Service}: {main.Visible}+{main.InFlight} dlq {dlq.Visible}+{dlq.InFlight} subdlq {subDlq.Visible}");
        }

        return string.Join("; ", parts);
    }

    public static async Task<bool> AllQueuesEmptyAsync(LocalFanout fanout)
    {
        foreach (var queue in fanout.Topology.Queues.Values)
        {
            foreach (var url in new[] { queue.QueueUrl, queue.DeadLetterQueueUrl, queue.SubscriptionDeadLetterQueueUrl })
            {
                var (visible, inFlight) = await DepthAsync(fanout, url);
                if (visible + inFlight > 0)
                {
                    return false;
                }
            }
        }

        return true;
    }
}

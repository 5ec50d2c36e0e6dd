using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Logging;

namespace Fanout.Functions.Common.Sqs;

/// <summary>Why a message failed, kept next to the service's data so an operator inspecting the DLQ
/// (<c>fanout dlq show</c>) sees the reason beside the message. SQS keeps the message id when redrive moves a
/// message to the DLQ, so the id is the key.</summary>
public interface IFailureRecorder
{
    Task RecordAsync(string messageId, int receiveCount, Exception exception, bool poison, CancellationToken cancellationToken);
}

/// <summary>Writes <c>FAILURE#messageId</c> items (latest failure wins) that expire with the table's TTL.</summary>
public sealed class DynamoFailureRecorder : IFailureRecorder
{
    public const string KeyPrefix = "FAILURE#";
    private readonly IAmazonDynamoDB _dynamo;
    private readonly string _tableName;
    private readonly TimeSpan _retention;
    private readonly TimeProvider _time;

    public DynamoFailureRecorder(IAmazonDynamoDB dynamo, string tableName, TimeSpan retention, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        ArgumentException.ThrowIfNullOrWhiteSpace(tableName);
        ArgumentNullException.ThrowIfNull(time);
        _dynamo = dynamo;
        _tableName = tableName;
        _retention = retention;
        _time = time;
    }

    public Task RecordAsync(string messageId, int receiveCount, Exception exception, bool poison, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var now = _time.GetUtcNow();
        // ErrorText: an AWS error's message may quote the address or number the request carried.
        var described = ErrorText.Describe(exception);
        var reason = described.Length > 1000 ? described[..1000] : described;
        return _dynamo.PutItemAsync(
            new PutItemRequest
            {
                TableName = _tableName,
                Item = new Dictionary<string, AttributeValue>
                {
                    [FanoutTopology.PartitionKey] = new() { S = KeyPrefix + messageId },
                    ["messageId"] = new() { S = messageId },
                    ["reason"] = new() { S = reason },
                    ["errorType"] = new() { S = exception.GetType().Name },
                    ["poison"] = new() { BOOL = poison },
                    ["receiveCount"] = new() { N = receiveCount.ToString(CultureInfo.InvariantCulture) },
                    ["recordedAt"] = new() { S = now.ToString("O", CultureInfo.InvariantCulture) },
                    [FanoutTopology.TtlAttribute] = new() { N = (now + _retention).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) },
                },
            },
            cancellationToken);
    }
}

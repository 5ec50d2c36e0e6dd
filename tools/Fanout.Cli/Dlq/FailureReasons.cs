using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Sqs;

namespace Fanout.Cli.Dlq;

/// <summary>Why a consumer last failed a message, as it recorded it (<c>FAILURE#messageId</c> in its table).</summary>
internal sealed record FailureRecord(string Reason, string ErrorType, bool Poison, int? ReceiveCount, string RecordedAt);

/// <summary>A lookup's answer: the record, none, or why it could not be read (the listing goes on without it).</summary>
internal sealed record FailureLookup(FailureRecord? Record, string? Error)
{
    public static readonly FailureLookup None = new(null, null);
}

internal interface IFailureReasons
{
    Task<FailureLookup> FindAsync(string messageId, CancellationToken cancellationToken);
}

/// <summary>Reads the records <see cref="DynamoFailureRecorder"/> writes. SQS keeps a message's id when redrive moves
/// it to the DLQ, so the DLQ message id is the key.</summary>
internal sealed class DynamoFailureReasons : IFailureReasons
{
    private readonly IAmazonDynamoDB _dynamo;
    private readonly string _tableName;

    public DynamoFailureReasons(IAmazonDynamoDB dynamo, string tableName)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        ArgumentException.ThrowIfNullOrWhiteSpace(tableName);
        _dynamo = dynamo;
        _tableName = tableName;
    }

    public async Task<FailureLookup> FindAsync(string messageId, CancellationToken cancellationToken)
    {
        GetItemResponse response;
        try
        {
            response = await _dynamo.GetItemAsync(
                new GetItemRequest
                {
                    TableName = _tableName,
                    Key = new Dictionary<string, AttributeValue> { [FanoutTopology.PartitionKey] = new() { S = DynamoFailureRecorder.KeyPrefix + messageId } },
                },
                cancellationToken);
        }
        catch (AmazonServiceException ex)
        {
            // The reason is a convenience: a missing grant on the table must not hide the DLQ itself.
            return new FailureLookup(null, $"{ex.ErrorCode}: {ex.Message}");
        }

        if (response.Item is not { Count: > 0 } item)
        {
            return FailureLookup.None;
        }

        return new FailureLookup(
            new FailureRecord(
                Text(item, "reason"),
                Text(item, "errorType"),
                item.TryGetValue("poison", out var poison) && poison.BOOL == true,
                item.TryGetValue("receiveCount", out var count) && int.TryParse(count.N, CultureInfo.InvariantCulture, out var parsed) ? parsed : null,
                Text(item, "recordedAt")),
            null);
    }

    private static string Text(Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var value) ? value.S ?? "" : "";
}

/// <summary>When no table resolves (e.g. explicit --dlq-url without --table): say so instead of guessing.</summary>
internal sealed class NoFailureReasons : IFailureReasons
{
    private readonly string _why;

    public NoFailureReasons(string why)
    {
        _why = why;
    }

    public Task<FailureLookup> FindAsync(string messageId, CancellationToken cancellationToken) => Task.FromResult(new FailureLookup(null, _why));
}

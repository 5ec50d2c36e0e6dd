using System.Text;
using System.Text.Json;
using Amazon.Runtime;
using Fanout.AwsShims.Signing;

namespace Fanout.Harness.EventSources;

/// <summary>One shard of a table's stream, as <c>DescribeStream</c> lists it.</summary>
/// <param name="EndingSequenceNumber">Set once the shard is closed (no more records will be added).</param>
public sealed record StreamShard(string ShardId, string? ParentShardId, string? EndingSequenceNumber);

/// <summary>One <c>GetRecords</c> page: the records in their JSON wire form and the iterator to read on with (null once
/// a closed shard is read to its end).</summary>
public sealed record StreamRecordsPage(IReadOnlyList<string> RecordsJson, string? NextShardIterator);

/// <summary>A DynamoDB Streams call failed with an AWS error code (e.g. <c>ExpiredIteratorException</c>,
/// <c>TrimmedDataAccessException</c>).</summary>
public sealed class DynamoDbStreamsException : Exception
{
    public DynamoDbStreamsException()
    {
    }

    public DynamoDbStreamsException(string message)
        : base(message)
    {
    }

    public DynamoDbStreamsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public DynamoDbStreamsException(string? errorCode, string message)
        : base(message) => ErrorCode = errorCode;

    public string? ErrorCode { get; }
}

/// <summary>The three DynamoDB Streams calls the local stream poller needs (DynamoDB Streams API reference,
/// <c>DescribeStream</c>, <c>GetShardIterator</c>, <c>GetRecords</c>), over the AWS JSON 1.0 protocol
/// (<c>X-Amz-Target: DynamoDBStreams_20120810.&lt;Operation&gt;</c>) on the DynamoDB endpoint, which is where DynamoDB Local
/// serves streams. The AWS SDK v4 here has no Streams client (AWSSDK.DynamoDBStreams is not on the package source).</summary>
public sealed class DynamoDbStreamsClient
{
    private const string TargetPrefix = "DynamoDBStreams_20120810.";
    private const string ContentType = "application/x-amz-json-1.0";

    private readonly SignedAwsHttpClient _aws;

    public DynamoDbStreamsClient(HttpClient http, AWSCredentials credentials, string region, Uri endpoint, TimeProvider time)
    {
        // Streams requests are signed for the "dynamodb" service.
        _aws = new SignedAwsHttpClient(http, credentials, region, "dynamodb", endpoint, time);
    }

    /// <summary>Every shard of the stream (following <c>LastEvaluatedShardId</c> across pages).</summary>
    public async Task<IReadOnlyList<StreamShard>> DescribeShardsAsync(string streamArn, CancellationToken cancellationToken)
    {
        var shards = new List<StreamShard>();
        string? exclusiveStart = null;
        do
        {
            using var answer = await CallAsync("DescribeStream", writer =>
            {
                writer.WriteString("StreamArn", streamArn);
                if (exclusiveStart is not null)
                {
                    writer.WriteString("ExclusiveStartShardId", exclusiveStart);
                }
            }, cancellationToken);
            var description = answer.RootElement.GetProperty("StreamDescription");
            if (description.TryGetProperty("Shards", out var list))
            {
                foreach (var shard in list.EnumerateArray())
                {
                    string? ending = shard.TryGetProperty("SequenceNumberRange", out var range) && range.TryGetProperty("EndingSequenceNumber", out var end) ? end.GetString() : null;
                    string? parent = shard.TryGetProperty("ParentShardId", out var p) ? p.GetString() : null;
                    shards.Add(new StreamShard(shard.GetProperty("ShardId").GetString()!, parent, ending));
                }
            }

            exclusiveStart = description.TryGetProperty("LastEvaluatedShardId", out var last) && last.ValueKind == JsonValueKind.String ? last.GetString() : null;
        }
        while (exclusiveStart is not null);

        return shards;
    }

    /// <param name="iteratorType"><c>TRIM_HORIZON</c>, <c>LATEST</c>, <c>AT_SEQUENCE_NUMBER</c> or <c>AFTER_SEQUENCE_NUMBER</c>.</param>
    public async Task<string> GetShardIteratorAsync(string streamArn, string shardId, string iteratorType, string? sequenceNumber, CancellationToken cancellationToken)
    {
        using var answer = await CallAsync("GetShardIterator", writer =>
        {
            writer.WriteString("StreamArn", streamArn);
            writer.WriteString("ShardId", shardId);
            writer.WriteString("ShardIteratorType", iteratorType);
            if (sequenceNumber is not null)
            {
                writer.WriteString("SequenceNumber", sequenceNumber);
            }
        }, cancellationToken);
        return answer.RootElement.GetProperty("ShardIterator").GetString()
            ?? throw new DynamoDbStreamsException(null, "GetShardIterator answered without an iterator.");
    }

    public async Task<StreamRecordsPage> GetRecordsAsync(string shardIterator, int limit, CancellationToken cancellationToken)
    {
        using var answer = await CallAsync("GetRecords", writer =>
        {
            writer.WriteString("ShardIterator", shardIterator);
            writer.WriteNumber("Limit", limit);
        }, cancellationToken);
        var records = answer.RootElement.TryGetProperty("Records", out var list)
            ? list.EnumerateArray().Select(r => r.GetRawText()).ToList()
            : [];
        var next = answer.RootElement.TryGetProperty("NextShardIterator", out var iterator) && iterator.ValueKind == JsonValueKind.String ? iterator.GetString() : null;
        return new StreamRecordsPage(records, next);
    }

    private async Task<JsonDocument> CallAsync(string operation, Action<Utf8JsonWriter> writeBody, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writeBody(writer);
            writer.WriteEndObject();
        }

        var headers = new Dictionary<string, string> { ["X-Amz-Target"] = TargetPrefix + operation };
        // Reads only: a second copy is harmless.
        var result = await _aws.SendAsync(HttpMethod.Post, "/", ContentType, buffer.ToArray(), CallIdempotency.Idempotent, headers, cancellationToken);
        if (!result.IsSuccess)
        {
            var code = result.ErrorCode;
            if (code is null)
            {
                try
                {
                    using var error = JsonDocument.Parse(result.Body);
                    code = error.RootElement.TryGetProperty("__type", out var type) ? type.GetString()?.Split('#')[^1] : null;
                }
                catch (JsonException)
                {
                }
            }

            throw new DynamoDbStreamsException(code, $"DynamoDB Streams {operation} answered {(int)result.StatusCode} {code}.");
        }

        return JsonDocument.Parse(Encoding.UTF8.GetBytes(result.Body));
    }
}

using System.Globalization;
using System.Text.Json;
using Fanout.AwsShims.Events;
using Fanout.AwsShims.Json;
using Fanout.AwsShims.Runtime;
using Fanout.Contracts.Topology;
using Fanout.Functions.Common.Logging;
using Fanout.Functions.Common.Runtime;
using Fanout.OutboxRelay.Core;

namespace Fanout.OutboxRelay;

/// <summary>Adapter: DynamoDB stream event → <see cref="OutboxRelayer"/> → partial batch response naming the first
/// failed record by its sequence number. Logs counts and event ids only, never an envelope (it holds personal data).</summary>
public sealed class OutboxRelayFunction : ILambdaHandler
{
    private readonly OutboxRelayer _relayer;
    private readonly FanoutLogger _log;

    public OutboxRelayFunction(OutboxRelayer relayer, FanoutLogger log)
    {
        ArgumentNullException.ThrowIfNull(relayer);
        ArgumentNullException.ThrowIfNull(log);
        _relayer = relayer;
        _log = log;
    }

    public async Task<byte[]> InvokeAsync(ReadOnlyMemory<byte> payload, LambdaInvocation invocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        using var scope = InvocationContext.Begin(invocation);
        var streamEvent = JsonSerializer.Deserialize(payload.Span, AwsShimsJsonContext.Default.DynamoDbStreamEvent)
            ?? throw new JsonException("The stream event was null.");
        var records = streamEvent.Records.Select(ToRelayRecord).ToList();
        var result = await _relayer.RelayAsync(records, cancellationToken);

        var response = new StreamsBatchResponse();
        if (result.FailedSequenceNumber is { } failed)
        {
            response.BatchItemFailures.Add(new BatchItemFailure { ItemIdentifier = failed });
            _log.Error(
                "Outbox relay stopped at a failed record",
                result.Failure,
                ("records", records.Count),
                ("published", result.Published),
                ("alreadyPublished", result.AlreadyPublished),
                ("ignored", result.Ignored),
                ("failedSequenceNumber", failed));
        }
        else
        {
            _log.Info("Outbox relay batch done", ("records", records.Count), ("published", result.Published), ("alreadyPublished", result.AlreadyPublished), ("ignored", result.Ignored));
        }

        return JsonSerializer.SerializeToUtf8Bytes(response, AwsShimsJsonContext.Default.StreamsBatchResponse);
    }

    /// <summary>The key comes from the new image when there is one (the filter matches on it), else from <c>Keys</c>.</summary>
    internal static RelayRecord ToRelayRecord(DynamoDbStreamRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var key = record.Change.NewImage is { } image && image.TryGetValue(FanoutTopology.PartitionKey, out var fromImage) ? fromImage.S
            : record.Change.Keys.TryGetValue(FanoutTopology.PartitionKey, out var fromKeys) ? fromKeys.S
            : null;
        DateTimeOffset? createdAt = record.Change.NewImage is { } newImage && newImage.TryGetValue("createdAt", out var created) && created.S is { } text
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;
        return new RelayRecord(record.Change.SequenceNumber, record.EventName, key, createdAt);
    }
}

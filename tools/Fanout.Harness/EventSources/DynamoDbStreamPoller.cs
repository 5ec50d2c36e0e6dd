using System.Text.Json;
using Fanout.AwsShims.Events;
using Fanout.AwsShims.Json;
using Fanout.AwsShims.Runtime;
using Fanout.Contracts.Topology;

namespace Fanout.Harness.EventSources;

/// <summary>Counters the stream poller keeps, for tests and <c>fanout watch</c>.</summary>
public sealed class StreamPollerStats
{
    private long _invocations;
    private long _recordsDelivered;
    private long _filteredOut;
    private long _failedInvocations;
    private long _retries;

    /// <summary>Handler invocations (batches delivered, retries included).</summary>
    public long Invocations => Interlocked.Read(ref _invocations);

    /// <summary>Records handed to the handler, retries included.</summary>
    public long RecordsDelivered => Interlocked.Read(ref _recordsDelivered);

    /// <summary>Stream records the filter dropped (not new outbox entries).</summary>
    public long FilteredOut => Interlocked.Read(ref _filteredOut);

    /// <summary>Invocations that threw, timed out or answered something unreadable (whole batch retried).</summary>
    public long FailedInvocations => Interlocked.Read(ref _failedInvocations);

    /// <summary>Times a shard was read again from a failed record (partial failure or failed invocation).</summary>
    public long Retries => Interlocked.Read(ref _retries);

    internal void Invoked(int records)
    {
        Interlocked.Increment(ref _invocations);
        Interlocked.Add(ref _recordsDelivered, records);
    }

    internal void AddFilteredOut(int count) => Interlocked.Add(ref _filteredOut, count);

    internal void InvocationFailed() => Interlocked.Increment(ref _failedInvocations);

    internal void Retried() => Interlocked.Increment(ref _retries);
}

/// <summary>How the stream poller runs.</summary>
public sealed record StreamPollerOptions
{
    /// <summary>How often every open shard is read (AWS polls a stream about four times a second).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(OutboxSpec.LocalPollIntervalMs);

    /// <summary>Records read per <c>GetRecords</c> call, and so at most per invocation (the mapping's <c>BatchSize</c>).</summary>
    public int BatchSize { get; init; } = OutboxSpec.RelayBatchSize;

    /// <summary>The invocation's deadline, as the function timeout gives it.</summary>
    public TimeSpan FunctionTimeout { get; init; } = TimeSpan.FromSeconds(FanoutTopology.OutboxRelay.TimeoutSeconds);

    /// <summary>How long a shard waits before it is read again from a failed record.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Start at the oldest record of the shards found at start (<c>TRIM_HORIZON</c>; right for a table created
    /// for this run) rather than after the newest (<c>LATEST</c>; right for a table that already has history). Shards
    /// that appear later (children of a split or a closed shard) are always read from their start.</summary>
    public bool StartAtTrimHorizon { get; init; } = true;

    public string Region { get; init; } = "us-east-1";

    public string FunctionName { get; init; } = FanoutTopology.OutboxRelay.Name;
}

/// <summary>An in-process stand-in for Lambda's DynamoDB Streams event source mapping: every
/// <see cref="StreamPollerOptions.PollInterval"/> it lists the stream's shards (<c>DescribeStream</c>; a child shard is
/// read only after its parent is read to its end, so records stay in order per item), reads each open shard
/// (<c>GetRecords</c>), keeps the records the mapping's filter keeps (<see cref="IsNewOutboxEntry"/>, the
/// filter the CDK stack sets), and invokes the handler with the JSON Lambda would send. A partial batch response makes
/// it read the shard again from the lowest failed sequence number; a failed invocation, from the batch's first record.
/// Unlike AWS it retries without limit and does not bisect (the relay's records are independent, and a local run has no
/// on-failure destination); a test that needs the give-up path uses the CDK template's settings instead.</summary>
public sealed class DynamoDbStreamPoller : IAsyncDisposable
{
    private readonly DynamoDbStreamsClient _streams;
    private readonly string _streamArn;
    private readonly ILambdaHandler _handler;
    private readonly StreamPollerOptions _options;
    private readonly TimeProvider _time;
    private readonly Action<string> _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, ShardState> _shards = new(StringComparer.Ordinal);
    private Task? _loop;

    public DynamoDbStreamPoller(DynamoDbStreamsClient streams, string streamArn, ILambdaHandler handler, StreamPollerOptions options, TimeProvider time, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(streams);
        ArgumentException.ThrowIfNullOrWhiteSpace(streamArn);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(log);
        _streams = streams;
        _streamArn = streamArn;
        _handler = handler;
        _options = options;
        _time = time;
        _log = log;
    }

    public StreamPollerStats Stats { get; } = new();

    public string StreamArn => _streamArn;

    /// <summary>The filter of the relay's event source mapping: an <c>INSERT</c> whose new image's key starts with
    /// one of <see cref="OutboxSpec.RelayedKeyPrefixes"/>.</summary>
    public static bool IsNewOutboxEntry(DynamoDbStreamRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.EventName == DynamoDbStreamRecord.Insert
            && record.Change.NewImage is { } image
            && image.TryGetValue(FanoutTopology.PartitionKey, out var key)
            && key.S is { } text
            && OutboxSpec.RelayedKeyPrefixes.Any(prefix => text.StartsWith(prefix, StringComparison.Ordinal));
    }

    public void Start()
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException("The stream poller is already running.");
        }

        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        _stop.Dispose();
    }

    /// <summary>Reads a partial batch response the way Lambda does: an empty list is success; an unreadable answer, or
    /// one naming a record not in the batch, fails the whole batch. Returns the sequence number to read again from
    /// (the earliest failed record in stream order), or null.</summary>
    internal static string? RetryFrom(byte[] response, IReadOnlyList<DynamoDbStreamRecord> batch)
    {
        StreamsBatchResponse? parsed;
        try
        {
            parsed = response.Length == 0 ? new StreamsBatchResponse() : JsonSerializer.Deserialize(response, AwsShimsJsonContext.Default.StreamsBatchResponse);
        }
        catch (JsonException)
        {
            return batch[0].Change.SequenceNumber;
        }

        if (parsed is null || parsed.BatchItemFailures.Count == 0)
        {
            return null;
        }

        var earliest = int.MaxValue;
        foreach (var failure in parsed.BatchItemFailures)
        {
            var index = -1;
            for (var i = 0; i < batch.Count; i++)
            {
                if (batch[i].Change.SequenceNumber == failure.ItemIdentifier)
                {
                    index = i;
                    break;
                }
            }

            if (index < 0)
            {
                return batch[0].Change.SequenceNumber;
            }

            earliest = Math.Min(earliest, index);
        }

        return batch[earliest].Change.SequenceNumber;
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var first = true;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                foreach (var shard in await _streams.DescribeShardsAsync(_streamArn, stop))
                {
                    if (!_shards.ContainsKey(shard.ShardId))
                    {
                        _shards[shard.ShardId] = new ShardState(shard.ShardId, shard.ParentShardId, first && !_options.StartAtTrimHorizon ? "LATEST" : "TRIM_HORIZON");
                    }
                }

                first = false;
                foreach (var state in _shards.Values.ToList())
                {
                    if (state.Finished || (state.ParentShardId is { } parent && _shards.TryGetValue(parent, out var parentState) && !parentState.Finished))
                    {
                        continue;
                    }

                    if (state.NotBefore is { } notBefore && _time.GetUtcNow() < notBefore)
                    {
                        continue;
                    }

                    await ReadShardAsync(state, stop);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The poller survives emulator hiccups (a paused process, a restart), like Lambda's pollers do.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _log($"[stream] poll error: {ex.GetType().Name}: {ex.Message}");
            }

            try
            {
                await Task.Delay(_options.PollInterval, _time, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Reads one page of the shard and invokes the handler with its new outbox entries.</summary>
    private async Task ReadShardAsync(ShardState state, CancellationToken stop)
    {
        if (state.Iterator is null)
        {
            var (type, sequence) = state.ResumeAt is { } resume ? ("AT_SEQUENCE_NUMBER", resume)
                : state.LastSequence is { } last ? ("AFTER_SEQUENCE_NUMBER", last)
                : (state.StartType, (string?)null);
            state.Iterator = await _streams.GetShardIteratorAsync(_streamArn, state.ShardId, type, sequence, stop);
            state.ResumeAt = null;
        }

        StreamRecordsPage page;
        try
        {
            page = await _streams.GetRecordsAsync(state.Iterator, _options.BatchSize, stop);
        }
        catch (DynamoDbStreamsException ex) when (ex.ErrorCode is "ExpiredIteratorException")
        {
            // Iterators live 15 minutes; take a new one where this one was.
            state.Iterator = null;
            return;
        }
        catch (DynamoDbStreamsException ex) when (ex.ErrorCode is "TrimmedDataAccessException")
        {
            // The iterator points before the shard's oldest record. On AWS that is data older than 24 hours; DynamoDB
            // Local also answers it for every iterator taken while the shard was still empty, once the first record
            // arrives, and keeps answering it for that iterator. Either way a new iterator is taken: after the last
            // record read when there is one, else at the shard's start type (TRIM_HORIZON: its oldest record now).
            _log($"[stream] shard {state.ShardId}: iterator trimmed, taking a new one");
            state.Iterator = null;
            return;
        }

        // Only new outbox entries reach the relay, so only records that can be one are parsed: most of a busy
        // table's records are orders and status updates whose images are kilobytes each. The text test is a
        // necessary condition; IsNewOutboxEntry decides.
        var batch = new List<DynamoDbStreamRecord>();
        foreach (var json in page.RecordsJson)
        {
            if (!MayBeNewOutboxEntry(json))
            {
                continue;
            }

            var record = JsonSerializer.Deserialize(json, AwsShimsJsonContext.Default.DynamoDbStreamRecord)!;
            if (IsNewOutboxEntry(record))
            {
                record.EventSourceArn = _streamArn;
                record.AwsRegion = _options.Region;
                batch.Add(record);
            }
        }

        var read = page.RecordsJson.Count;
        Stats.AddFilteredOut(read - batch.Count);
        if (batch.Count > 0 && await InvokeAsync(batch) is { } retryFrom)
        {
            Stats.Retried();
            state.Iterator = null;
            state.ResumeAt = retryFrom;
            state.NotBefore = _time.GetUtcNow() + _options.RetryDelay;
            return;
        }

        state.NotBefore = null;
        if (read > 0)
        {
            // One more parse per page: the last record's sequence number, whatever it was.
            state.LastSequence = JsonSerializer.Deserialize(page.RecordsJson[^1], AwsShimsJsonContext.Default.DynamoDbStreamRecord)!.Change.SequenceNumber;
        }

        state.Iterator = page.NextShardIterator;
        if (state.Iterator is null)
        {
            state.Finished = true;
        }

    }

    /// <summary>Whether a record's JSON text can be a new outbox entry at all: an INSERT whose text holds one of the
    /// relayed key prefixes (<see cref="OutboxSpec.RelayedKeyPrefixes"/>: outbox entries and new orders, which owe
    /// their OrderPlaced). False means it certainly is not; true is decided by <see cref="IsNewOutboxEntry"/>.</summary>
    internal static bool MayBeNewOutboxEntry(string json) =>
        json.Contains("\"" + DynamoDbStreamRecord.Insert + "\"", StringComparison.Ordinal)
        && OutboxSpec.RelayedKeyPrefixes.Any(prefix => json.Contains("\"" + prefix, StringComparison.Ordinal));

    /// <summary>Invokes the handler once; returns where to read again from, or null when the batch succeeded.</summary>
    private async Task<string?> InvokeAsync(List<DynamoDbStreamRecord> batch)
    {
        var streamEvent = new DynamoDbStreamEvent { Records = batch };
        var payload = JsonSerializer.SerializeToUtf8Bytes(streamEvent, AwsShimsJsonContext.Default.DynamoDbStreamEvent);
        var invocation = new LambdaInvocation(
            Guid.NewGuid().ToString(),
            _time.GetUtcNow() + _options.FunctionTimeout,
            null,
            $"arn:aws:lambda:{_options.Region}:000000000000:function:{_options.FunctionName}");
        Stats.Invoked(batch.Count);
        using var timeout = new CancellationTokenSource(_options.FunctionTimeout - TimeSpan.FromMilliseconds(200), _time);
        try
        {
            // Not linked to the poller's stop: a batch in flight finishes (or times out) on shutdown.
            var response = await _handler.InvokeAsync(payload, invocation, timeout.Token).WaitAsync(_options.FunctionTimeout, _time, CancellationToken.None);
            return RetryFrom(response, batch);
        }
#pragma warning disable CA1031 // Lambda treats any function error as "the whole batch failed".
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Stats.InvocationFailed();
            _log($"[stream] invocation failed, {batch.Count} records read again: {ex.GetType().Name}: {ex.Message}");
            return batch[0].Change.SequenceNumber;
        }
    }

    private sealed class ShardState(string shardId, string? parentShardId, string startType)
    {
        public string ShardId { get; } = shardId;

        public string? ParentShardId { get; } = parentShardId;

        public string StartType { get; } = startType;

        public string? Iterator { get; set; }

        public string? LastSequence { get; set; }

        public string? ResumeAt { get; set; }

        public DateTimeOffset? NotBefore { get; set; }

        public bool Finished { get; set; }
    }
}
